"""Chapter 08, backpropagation through a GRU by hand: the hand-written backward pass is the gradient of
chapter 04's model, and the prose's claims about the paths the gradient takes hold."""

import math
import re

import pytest
import torch
from built_book import LANGUAGES, ROOT, chapter_definitions, glued
from torch import nn

import grubook

CHAPTER = ROOT / "chapters" / "08-gru-backprop"
RECALL_SIZES = ["num_subjects", "num_fillers", "num_steps", "num_hiddens", "num_iters", "lr"]
SOLUTION_CODE = re.compile(r"```\{solution\} gru-backprop-ex-reset-after.*?~~~python\n(.*?)~~~", re.DOTALL)


@pytest.fixture(scope="module")
def chapter():
    """The chapter's functions, with the recall task's sizes the page glued."""
    sizes = {name: glued(CHAPTER / "en.md")[name] for name in RECALL_SIZES}
    sizes["num_inputs"] = sizes["num_subjects"] + sizes["num_fillers"]
    torch.set_default_dtype(torch.float64)  # as the chapter's first cell does
    yield chapter_definitions(
        CHAPTER / "en.md", {"math": math, "torch": torch, "nn": nn, "grubook": grubook, **sizes}
    )
    torch.set_default_dtype(torch.float32)


@pytest.fixture(scope="module")
def chapter_04():
    """Chapter 04's own `gru`, the model whose gradients this chapter writes by hand."""
    return chapter_definitions(ROOT / "chapters" / "04-gru-scratch" / "en.md", {"torch": torch, "nn": nn})


@pytest.fixture(scope="module", params=list(LANGUAGES))
def values(request):
    return glued(CHAPTER / f"{request.param}.md")


def random_model(vocab, hiddens, generator):
    shapes = [(vocab, hiddens), (hiddens, hiddens), (hiddens,)] * 3 + [(hiddens, vocab), (vocab,)]
    return [torch.randn(shape, generator=generator, dtype=torch.float64) for shape in shapes]


def test_the_forward_pass_is_chapter_04s_gru(chapter, chapter_04):
    generator = torch.Generator().manual_seed(4)
    params = random_model(7, 5, generator)
    inputs = chapter["one_hot_steps"](torch.randint(7, (3, 6), generator=generator), 7)
    H_0 = torch.randn(3, 5, generator=generator, dtype=torch.float64)
    outputs, (H_T,) = chapter_04["gru"](inputs, (H_0,), params)
    states, _ = chapter["gru_forward"](inputs, H_0, params[:9])
    assert torch.equal(states[-1], H_T)
    for H, scores in zip(states[1:], outputs):
        assert torch.equal(H @ params[9] + params[10], scores)


def test_bptt_gives_autograds_gradients_of_chapter_04s_model_on_fresh_sizes(chapter, chapter_04, values):
    """Other sizes than the page's, and chapter 04's own `gru` under autograd as the reference."""
    generator = torch.Generator().manual_seed(8)
    vocab, hiddens, batch, steps = 9, 6, 5, 13
    params = random_model(vocab, hiddens, generator)
    H_0 = torch.randn(batch, hiddens, generator=generator, dtype=torch.float64)
    text = torch.randint(vocab, (batch, steps + 1), generator=generator)
    inputs, targets = chapter["one_hot_steps"](text[:, :-1], vocab), list(text[:, 1:].T)
    loss, by_hand = chapter["language_model_backward"](inputs, H_0, params, targets)
    leaves = [t.clone().requires_grad_() for t in [*params, H_0]]
    outputs, _ = chapter_04["gru"](inputs, (leaves[-1],), leaves[:-1])
    reference = nn.functional.cross_entropy(torch.cat(outputs), torch.cat(targets))
    assert loss == pytest.approx(reference.item(), rel=1e-12)
    for mine, theirs in zip(by_hand, torch.autograd.grad(reference, leaves), strict=True):
        assert (mine - theirs).abs().max().item() < values["tolerance"]


def test_the_carried_gradient_is_autograds_gradient_of_every_state(chapter):
    """bptt's history (what the path figure reads) against autograd on the recall loss."""
    torch.manual_seed(3)
    params = chapter["init_params"]()
    inputs, subjects = chapter["recall_batch"](6, torch.Generator().manual_seed(5))
    _, _, _, history = chapter["recall_backward"](inputs, subjects, params)
    H = torch.zeros(6, chapter["num_hiddens"], requires_grad=True)
    states = [H]
    for X in inputs:
        H, _ = chapter["gru_step_forward"](X, H, params[:9])
        H.retain_grad()
        states.append(H)
    nn.functional.cross_entropy(H @ params[9] + params[10], subjects).backward()
    for k, (dH, paths) in enumerate(history):
        assert torch.allclose(dH, states[-1 - k].grad, rtol=0, atol=1e-15)
        assert torch.allclose(sum(paths.values()), states[-2 - k].grad, rtol=0, atol=1e-15)


def test_the_hand_written_step_passes_gradcheck_and_fails_it_when_wrong(chapter):
    generator = torch.Generator().manual_seed(2)
    leaves = [torch.randn(2, 3, generator=generator), torch.randn(2, 4, generator=generator)]
    leaves += [t.clone() for t in chapter["step_params_like"](3, 4)]
    leaves = [t.double().requires_grad_() for t in leaves]
    assert torch.autograd.gradcheck(chapter["HandGRUStep"].apply, leaves)

    class WrongStep(chapter["HandGRUStep"]):  # the candidate path left out of dL/dH_{t-1}
        @staticmethod
        def backward(ctx, dH):
            saved, step_params = ctx.saved_tensors[:6], ctx.saved_tensors[6:]
            dX, _, grads, paths = chapter["gru_step_backward"](dH, saved, step_params)
            return dX, paths["direct"] + paths["update"] + paths["reset"], *grads

    assert not torch.autograd.gradcheck(WrongStep.apply, leaves, raise_exception=False)


def test_the_page_checks_agree_far_below_the_tolerance(values):
    assert values["gradcheck_passed"] is True
    assert values["tolerance"] <= 1e-10  # the words: "to 1e-10"
    # "far below the tolerance": at least a hundred times below it
    assert values["step_difference"] < values["tolerance"] / 100
    assert values["sequence_difference"] < values["tolerance"] / 100
    assert values["num_gradients"] == 12  # nine step parameters, W_hq, b_q and H_0


def test_training_on_the_hand_made_gradients_names_the_subject_almost_always(values):
    assert values["chance"] == pytest.approx(1 / values["num_subjects"])
    assert values["accuracy_trained"] > 0.9  # "almost always"
    assert values["accuracy_untrained"] < 2 * values["chance"]


def test_at_every_step_the_gradient_goes_back_mostly_along_the_direct_path(values):
    for name in ("untrained", "trained"):
        direct, candidate = values[f"share_direct_{name}"], values[f"share_candidate_{name}"]
        assert direct > 0.5  # "mostly along the direct path"
        assert direct + candidate > 0.95  # "the candidate path nearly all the rest"


def test_untrained_the_gradient_vanishes_and_trained_it_crosses_the_whole_distance(values):
    assert values["far"] == values["num_steps"] - 1
    assert abs(values["mean_z_untrained"] - 0.5) < 0.05  # "near one half"
    assert values["norm_far_untrained"] < 1e-6  # "less than a millionth"
    # "the mixed routes carry more than the direct path alone, but nothing that matters"
    assert values["direct_norm_far_untrained"] < values["norm_far_untrained"]
    # "without vanishing", the first chapter's "of the order of 1 (above 0.1)"
    assert values["norm_far_trained"] > 0.1
    assert values["direct_norm_far_trained"] <= values["norm_far_trained"]
    assert values["direct_norm_far_trained"] > 1e3 * values["direct_norm_far_untrained"]


def test_a_large_share_arrives_along_the_direct_path_alone_after_training_and_none_before(values):
    assert values["direct_share_far_trained"] > 0.25  # "a large share"
    assert values["direct_share_far_trained"] > 10 * abs(values["direct_share_far_untrained"])


def test_training_holds_some_units_gates_above_the_threshold(values):
    assert values["hold_threshold"] == 0.9  # the first chapter's threshold, as the prose says
    assert values["units_holding_untrained"] < values["units_holding_trained"]
    assert 1 <= values["units_holding_trained"] <= values["num_hiddens"]


def test_the_twins_glue_the_same_results_and_name_the_device():
    english, chinese = (glued(CHAPTER / f"{code}.md") for code in LANGUAGES)
    own = {"device_name", "chapter_minutes"}  # each page's own run, in its language
    assert {k: v for k, v in english.items() if k not in own} == {
        k: v for k, v in chinese.items() if k not in own
    }
    assert english["device_name"].startswith("CPU")  # the page computes on the CPU, as it says


def test_the_reset_after_solution_agrees_with_nn_grus_own_gradients():
    english, chinese = (
        SOLUTION_CODE.search((CHAPTER / f"{code}.md").read_text(encoding="utf-8")) for code in LANGUAGES
    )
    assert english.group(1) == chinese.group(1)
    namespace: dict = {}
    exec(compile(english.group(1), "reset-after solution", "exec"), namespace)
    assert namespace["max_difference"] < glued(CHAPTER / "en.md")["tolerance"]
