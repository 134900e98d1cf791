#!/usr/bin/env bash
# Replace a branch of `origin` with the contents of a folder, as one commit without history:
#   ci/push_notebooks_branch.sh _build/colab notebooks
# Run from a clone whose `origin` accepts pushes (the publishing workflow's checkout, whose token
# has `contents: write`). The current checkout, its index and its branches are left untouched.
set -euo pipefail
folder=$(cd "$1" && pwd)
branch=${2:?usage: ci/push_notebooks_branch.sh FOLDER BRANCH}
cd "$(dirname "$0")/.."
source_commit=$(git rev-parse HEAD)

index=$(mktemp)
trap 'rm -f "$index"' EXIT
rm -f "$index"  # git creates the index file itself
GIT_INDEX_FILE=$index git --work-tree="$folder" add --all --force .
tree=$(GIT_INDEX_FILE=$index git write-tree)

export GIT_AUTHOR_NAME="github-actions[bot]" GIT_COMMITTER_NAME="github-actions[bot]"
export GIT_AUTHOR_EMAIL="41898282+github-actions[bot]@users.noreply.github.com"
export GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
commit=$(git commit-tree "$tree" -m "Colab notebooks generated from $source_commit by ci/make_colab_notebooks.py")
git push --force origin "$commit:refs/heads/$branch"
echo "pushed $(git ls-tree -r --name-only "$commit" | wc -l) files to $branch ($commit)"
