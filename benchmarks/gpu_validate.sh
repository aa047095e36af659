#!/usr/bin/env bash
# Everything a CUDA machine (an H100 or H200) must run for skgan, in one go,
# under 8 minutes of wall time, every log and result file in OUTDIR (6 files):
#
#   env.txt          python, torch, CUDA, cuDNN, skorch versions and nvidia-smi  (stage 1, 60 s)
#   cuda-tests.log   pytest -m cuda: every CUDA-marked test                      (stage 2, 240 s)
#   speed.log        benchmarks/speed.py on 60000 MNIST images, 2 epochs,        (stage 3, 150 s)
#   speed-cuda.json    3 interleaved repeats: skgan's fit against a bare loop
#   speed-cuda.md      with the same bf16 / channels-last / cuDNN settings,
#                      transform images/s over 70000 images, and the bf16 vs
#                      float32 feature-quality probe (1000-label linear probe)
#   summary.txt      each stage's exit status and the targets to read off
#
# Targets: a 60000-image MNIST epoch <= 1 s (speed-cuda.json: fit.bare_ips and
# skgan_loop_ips >= 60000), transform >= 50000 images/s (transform.skgan_ips),
# every CUDA test green.
#
# Usage, from anywhere:  benchmarks/gpu_validate.sh OUTDIR
#
# On a bare machine that has torch (and scikit-learn, accelerate, pytest) but
# not skorch, and no ../shared beside the checkout, carry both with the tree:
#
#   here:   pip wheel skorch==1.4.0 --no-deps -w .whl     # the installed version; not committed
#           mkdir -p .data && cp ../shared/data/mnist/*.gz .data/
#           (both folders ignored through .git/info/exclude, named in the run's carry)
#   there:  python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/skorch-*.whl
#           export PYTHONPATH=/tmp/site SKGAN_DATA=$PWD/.data
#           benchmarks/gpu_validate.sh "$OUT"
#
# SKGAN_DATA names the folder holding MNIST's four idx .gz files (default:
# ../shared/data/mnist); the CUDA tests need no data beyond scikit-learn's digits.
set -uo pipefail
out=${1:?usage: benchmarks/gpu_validate.sh OUTDIR}
source "$(dirname "$0")/_gpu_env.sh"

{
    date -u
    timeout 60 "$python" -c '
import platform, torch, skorch, sklearn, skgan
print("python", platform.python_version(), "torch", torch.__version__, "cuda", torch.version.cuda,
      "cudnn", torch.backends.cudnn.version(), "skorch", skorch.__version__,
      "sklearn", sklearn.__version__, "skgan", skgan.__file__)
print("device", torch.cuda.get_device_name(0), "bf16", torch.cuda.is_bf16_supported())'
    timeout 30 nvidia-smi
} >"$out/env.txt" 2>&1
env_rc=$?

timeout 240 "$python" -m pytest -p no:cacheprovider -m cuda -q -rA tests/test_cuda.py \
    >"$out/cuda-tests.log" 2>&1
tests_rc=$?

timeout 150 "$python" benchmarks/speed.py --device cuda --n-train 60000 --epochs 2 --repeats 3 \
    --data-home "$SKGAN_DATA" --out "$out" >"$out/speed.log" 2>&1
speed_rc=$?

{
    echo "env exit $env_rc, cuda tests exit $tests_rc, speed exit $speed_rc (124: timed out)"
    tail -n 1 "$out/cuda-tests.log"
    [ -f "$out/speed-cuda.md" ] && cat "$out/speed-cuda.md"
    echo "targets: 60000-image epoch <= 1 s, transform >= 50000 images/s, every CUDA test green"
} >"$out/summary.txt" 2>&1
cat "$out/summary.txt"
exit $((env_rc || tests_rc || speed_rc))
