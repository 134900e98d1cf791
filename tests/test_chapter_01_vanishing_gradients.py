"""Chapter 01, vanishing and exploding gradients: its code computes what the text says it computes,
and the claims its prose draws from the measurements hold in both languages."""

import math

import pytest
import torch
from built_book import LANGUAGES, ROOT, chapter_definitions, glued
from torch import nn

CHAPTER = ROOT / "chapters" / "01-vanishing-gradients"
NUM_SUBJECTS, NUM_INPUTS = 3, 5  # a small task for the unit tests: subjects 0-2, fillers 3-4


@pytest.fixture(scope="module")
def chapter():
    namespace = {
        "torch": torch,
        "nn": nn,
        "math": math,
        "device": torch.device("cpu"),
        "num_subjects": NUM_SUBJECTS,
        "num_inputs": NUM_INPUTS,
    }
    return chapter_definitions(CHAPTER / "en.md", namespace)


def random_params(chapter, kind, num_networks=2, d=3, h=4, q=3, seed=0):
    torch.manual_seed(seed)
    params = chapter[f"{kind}_params"](num_networks, d, h, q, "cpu")
    with torch.no_grad():  # larger than the default, so that the tanh and the sigmoids are not linear
        return [(p * 3).double().requires_grad_() for p in params]


def test_the_step_functions_are_the_equations_for_every_network_of_the_stack(chapter):
    params = random_params(chapter, "gru")
    X = torch.randn(2, 3, dtype=torch.float64)
    H = torch.randn(2, 2, 4, dtype=torch.float64)
    H_next = chapter["gru_step"](X, H, params)
    for s in range(2):  # each network alone, written with its own weights
        W_xr, W_hr, b_r, W_xz, W_hz, b_z, W_xh, W_hh, b_h = (p[s] for p in params[:9])
        R = torch.sigmoid(X @ W_xr + H[s] @ W_hr + b_r)
        Z = torch.sigmoid(X @ W_xz + H[s] @ W_hz + b_z)
        H_tilde = torch.tanh(X @ W_xh + (R * H[s]) @ W_hh + b_h)
        assert torch.allclose(H_next[s], Z * H[s] + (1 - Z) * H_tilde)
    params = random_params(chapter, "rnn")
    H_next = chapter["rnn_step"](X, H, params)
    for s in range(2):
        assert torch.allclose(H_next[s], torch.tanh(X @ params[0][s] + H[s] @ params[1][s] + params[2][s]))


def test_jacobians_match_finite_differences_and_the_product_formula(chapter):
    params = random_params(chapter, "rnn", seed=1)
    X = torch.randn(5, 2, 3, dtype=torch.float64)
    J = chapter["jacobians"](chapter["rnn_step"], params, X)
    assert J.shape == (6, 2, 2, 4, 4)
    with torch.no_grad():
        states = chapter["unroll"](chapter["rnn_step"], X, torch.zeros(2, 2, 4, dtype=torch.float64), params)
        t, eps = 2, 1e-6
        for j in range(4):  # row j of dH_T/dH_t: how H_T moves when unit j of H_t is nudged
            nudged = states[t].clone()
            nudged[..., j] += eps
            H_T = chapter["unroll"](chapter["rnn_step"], X[t:], nudged, params)[-1]
            assert torch.allclose((H_T - states[-1]) / eps, J[t][..., j, :], atol=1e-6)
        for t in range(6):
            for s in range(2):
                for b in range(2):
                    by_hand = chapter["rnn_jacobian_product"](params[1][s], [H[s, b] for H in states], t)
                    assert torch.allclose(J[t][s, b], by_hand)


def test_jacobian_norms_respect_the_bound(chapter):
    params = random_params(chapter, "rnn", seed=2)
    X = torch.randn(8, 3, 3, dtype=torch.float64)
    J = chapter["jacobians"](chapter["rnn_step"], params, X)
    sigma = torch.linalg.matrix_norm(params[1].detach(), ord=2)  # one per network
    for t in range(9):
        norms = torch.linalg.matrix_norm(J[t], ord=2)  # (networks, sequences)
        assert (norms <= sigma[:, None] ** (8 - t) * (1 + 1e-9)).all()


def test_a_shut_update_gate_passes_the_state_and_its_gradient_unchanged(chapter):
    params = random_params(chapter, "gru", seed=3)
    with torch.no_grad():
        params[5].fill_(50.0)  # b_z: Z = 1
    X = torch.randn(6, 2, 3, dtype=torch.float64)
    J = chapter["jacobians"](chapter["gru_step"], params, X)
    assert torch.allclose(J, torch.eye(4, dtype=torch.float64).expand_as(J), atol=1e-12, rtol=0)


def test_update_gates_are_the_gru_update_gate_at_every_step(chapter):
    params = random_params(chapter, "gru", seed=4)
    X = torch.randn(5, 2, 3, dtype=torch.float64)
    Z = chapter["update_gates"](params, X)
    assert Z.shape == (5, 2, 2, 4)
    W_xz, W_hz, b_z = params[3:6]
    H = chapter["unroll"](chapter["gru_step"], X, torch.zeros(2, 2, 4, dtype=torch.float64), params)
    for t in range(5):  # Z_{t+1} is computed from X_{t+1} and H_t
        assert torch.allclose(Z[t], torch.sigmoid(X[t] @ W_xz + H[t] @ W_hz + b_z))


def test_recall_batches_hold_one_subject_at_the_given_distance(chapter):
    generator = torch.Generator().manual_seed(0)
    X, y = chapter["recall_batch"](200, 7, generator)
    assert X.shape == (7, 200, NUM_INPUTS) and (X.sum(dim=-1) == 1).all()
    tokens = X.argmax(dim=-1).T  # (sequences, steps)
    is_subject = tokens < NUM_SUBJECTS
    assert (is_subject.sum(dim=1) == 1).all()
    assert (tokens[is_subject] == y).all()
    positions = is_subject.float().argmax(dim=1)
    assert set((7 - positions).tolist()) == set(range(1, 8))  # every distance occurs
    X, y = chapter["recall_batch"](50, 7, generator, 3)
    assert (X.argmax(dim=-1).T[:, 7 - 3] == y).all()


def test_accuracy_by_distance_files_each_distance_in_its_column(chapter):
    """A 'network' whose state is its last input knows the subject only at distance 1."""

    def last_input(X, H, params):
        return X.expand_as(H)

    W_hq = torch.eye(NUM_INPUTS)[:, :NUM_SUBJECTS].expand(2, -1, -1)
    params = [None, torch.zeros(2, NUM_INPUTS, NUM_INPUTS), W_hq, torch.zeros(2, 1, NUM_SUBJECTS)]
    accuracy = chapter["accuracy_by_distance"](last_input, params, 6, 600, torch.Generator().manual_seed(0))
    assert accuracy.shape == (2, 6)
    assert (accuracy[:, 0] == 1).all()
    # elsewhere the scores are all zero, the prediction is subject 0, right one time in three
    assert ((accuracy[:, 1:] - 1 / NUM_SUBJECTS).abs() < 0.1).all()


def test_clip_gradients_rescales_each_network_to_at_most_theta(chapter):
    params = [torch.zeros(3, 2, 2, requires_grad=True), torch.zeros(3, 1, 2, requires_grad=True)]
    params[0].grad = torch.tensor([[[3.0, 0], [0, 0]], [[0.1, 0], [0, 0]], [[1, 1], [1, 1]]])
    params[1].grad = torch.tensor([[[4.0, 0]], [[0, 0.2]], [[1, 1]]])
    before = [p.grad.clone() for p in params]
    norms = chapter["clip_gradients"](params, 1.0)
    assert torch.allclose(norms, torch.tensor([5.0, math.sqrt(0.05), math.sqrt(6)]))
    after = torch.sqrt(sum((p.grad**2).flatten(start_dim=1).sum(dim=1) for p in params))
    assert torch.allclose(after, torch.tensor([1.0, math.sqrt(0.05), 1.0]))
    for p, g in zip(params, before):  # the direction of every network's gradient is kept
        assert torch.allclose(p.grad * norms.reshape(-1, 1, 1) / after.reshape(-1, 1, 1), g)
    assert torch.equal(params[0].grad[1], before[0][1])  # a small gradient is left alone
    chapter["clip_gradients"](params, math.inf)
    assert torch.allclose(torch.sqrt(sum((p.grad**2).flatten(start_dim=1).sum(dim=1) for p in params)), after)


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_prose_claims_hold(code):
    v = glued(CHAPTER / f"{code}.md")
    # "agree to a relative difference of ..., the rounding error of 32-bit floats": a few units of
    # float32's machine epsilon, not the 1e-5 a wrong factor among the five could hide below
    assert v["formula_error"] < 10 * torch.finfo(torch.float32).eps
    # "the largest singular value of an untrained W_hh ... is above 1"
    assert v["sigma_default"] > 1
    # the recall task: "guessing gives 1/8"
    assert v["chance"] == pytest.approx(1 / v["num_subjects"])
    # "when the subject was the last token it names it ... of the time, more than half"
    assert v["rnn_accuracy_last"] > 0.5
    # "at distance <near> it is down to ..., less than half of that"
    assert 1 < v["near"] < v["far"] < v["num_steps"]
    assert v["rnn_accuracy_near"] < v["rnn_accuracy_last"] / 2
    # "from distance <far> to <num_steps> it averages ..., less than twice the ... of guessing"
    assert v["rnn_accuracy_far"] < 2 * v["chance"]
    # the summary: the RNNs "are close to chance beyond a few steps": in the same sense (below twice
    # the accuracy of guessing) at every distance beyond <near>, not only on average over the far half
    assert v["rnn_accuracy_beyond_near"] < 2 * v["chance"]
    # "the GRUs ... recall the subject at every distance: their average accuracy is at least ..."
    assert v["gru_accuracy_min"] >= 0.9
    # "Before training both networks forget fast": both norms at distance <num_steps> are negligible
    assert v["norm_rnn_initial"] < 1e-6
    assert v["norm_gru_initial"] < 1e-6
    # "The untrained GRU does better, by a factor of ... at distance <num_steps>, more than ten"
    assert v["ratio_initial"] > 10
    # "because an update gate near 0.5 lets about half of each unit's old value through": the
    # untrained GRUs' gates average one half to within 0.05, and nearly all lie within 0.1 of it
    assert v["z_untrained"] == pytest.approx(0.5, abs=0.05)
    assert v["z_untrained_near_half"] >= 0.9
    assert v["near_half"] <= 0.1  # "near 0.5" means within a tenth at most
    # "Its norm at distance <num_steps> is now ..., of the order of 1 (above 0.1), and ... times its
    # value before"
    assert 0.1 < v["norm_gru_trained"] < 10
    assert v["gru_trained_gain"] > 1e5
    # "the solid blue line is nearly flat, between ... and ... at every distance": within one order
    # of magnitude, on an axis where the untrained lines fall by more than six
    assert v["norm_gru_trained_high"] < 10 * v["norm_gru_trained_low"]
    # "Training made its recurrent weights larger ... and its norm at distance <num_steps> rose"
    assert v["sigma_rnn_trained"] > v["sigma_default"]
    assert v["norm_rnn_trained"] > v["norm_rnn_initial"]
    # the trained GRUs' update gates: "When the subject arrives, the update gates average ..., lower
    # than the ... they average over the fillers that follow"; "about ... of the <num_hiddens> units
    # ... keep their update gate above <hold_threshold>"; "hardly any unit holds every one of the
    # <num_subjects> subjects"
    assert 0.5 < v["hold_threshold"] < 1  # "holding" means a gate nearer 1 than 0
    assert v["z_subject"] < v["z_fillers"]
    assert 3 <= v["units_holding"] < v["num_hiddens"]
    assert v["units_holding_all"] < 1
    # clipping: W_hh drawn with standard deviation <clip_init_scale>/sqrt(h), "which puts the largest
    # singular value of W_hh near ... instead of the default": for an h x h matrix of such entries
    # it is about 2 * clip_init_scale, and larger than the default's
    assert v["sigma_start"] == pytest.approx(2 * v["clip_init_scale"], rel=0.25)
    assert v["sigma_start"] > v["sigma_default"]
    # "in each network the largest gradient is on average ... times the first one" ("much longer")
    assert v["gradient_growth"] > 3
    # "grows from ... to ... on average (in every network it at least doubles)"
    assert v["sigma_unclipped_growth"] >= 2
    # "Every one of the <num_networks> networks ends with a loss above ..., more than twice the
    # ln <num_subjects> of guessing"
    assert v["log_chance"] == pytest.approx(math.log(v["num_subjects"]))
    assert v["unclipped_final_min"] > 2 * v["log_chance"]
    # "With clipping ... a loss of ... on average over the last <final_window> steps (below 0.1)"
    assert v["clipped_final_mean"] < 0.1
    # "W_hh stays near its starting size (...; no network's grows by more than half)"
    assert v["sigma_clipped_growth"] <= 1.5
    # "once the loss had fallen, the gradients dropped below theta (none of the last <final_window>
    # exceeds ...)"
    assert v["clipped_final_norm"] < v["clip_theta"]
    # "Early on, when the gradients were large, it shortened most steps (... of the first ...)"
    assert v["clipped_share_early"] > 0.5
    # the exercise: "learning rate ..., a tenth of the page's"; its solution: "... 0.58^T is about ..."
    assert v["clip_lr_tenth"] == pytest.approx(v["clip_lr"] / 10)
    assert v["typical_stretch_power"] == pytest.approx((1 / math.sqrt(3)) ** v["num_steps"])
    assert v["chapter_minutes"] > 0 and v["experiment_minutes"] > 0 and v["device_name"]


def test_the_twins_share_the_experiments():
    """The Chinese page reuses the English page's runs: their glued results are identical (apart
    from the page's own time and the device, which each page names in its own language)."""
    values = {code: glued(CHAPTER / f"{code}.md") for code in LANGUAGES}
    shared = set(values["en"]) - {"chapter_minutes", "device_name"}
    for code, v in values.items():
        assert {k: v[k] for k in shared} == {k: values["en"][k] for k in shared}, code
