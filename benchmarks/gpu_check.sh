#!/usr/bin/env bash
# One short GPU check: the CUDA-marked tests and the speed benchmark on the full
# MNIST training set, results written into DIR. Needs torch, torchvision, sklearn
# and skorch importable by python3, and MNIST at ../shared/data/mnist or $SKGAN_DATA.
# Under 10 minutes on an H100.
set -uo pipefail
out=${1:?usage: benchmarks/gpu_check.sh DIR}
mkdir -p "$out"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
data=${SKGAN_DATA:-../shared/data/mnist}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/gpu.txt" 2>&1
python3 -m pytest -p no:cacheprovider -m cuda -q tests 2>&1 | tee "$out/cuda-tests.log"
tests=${PIPESTATUS[0]}
python3 benchmarks/speed.py --device cuda --n-train 60000 --epochs 2 --repeats 3 \
    --data-home "$data" --out "$out" 2>&1 | tee "$out/speed.log"
bench=${PIPESTATUS[0]}
echo "cuda tests exit $tests, speed benchmark exit $bench"
exit $((tests || bench))
