#!/usr/bin/env bash
# The long MNIST runs that a 2-core CPU cannot afford, for a CUDA machine (an H100 or
# H200), after benchmarks/gpu_validate.sh has passed; two stages, each under 10 minutes,
# so that each fits one device call:
#
#   benchmarks/gpu_long_runs.sh OUTDIR selfsup    the discriminator tasks at 10 epochs over
#                                                 the 60000 images (issue: self-supervised D)
#   benchmarks/gpu_long_runs.sh OUTDIR pytorch    the pytorch/examples DCGAN (64 x 64) for
#                                                 10 epochs, read with population and running
#                                                 batchnorm statistics, beside skgan's rows
#   benchmarks/gpu_long_runs.sh OUTDIR cifar      CIFAR-10 with all 50000 labels (45000 to
#                                                 train on, 5000 to validate): the default for
#                                                 30 epochs (one seed) beside raw, random D,
#                                                 scattering, k-means and the plain DCGAN
#
# The results (JSON + markdown, machine and GPU named) land in OUTDIR; commit them under
# benchmarks/results/. Not yet run on a GPU: the stage timeouts are estimates (a CPU
# epoch of the pytorch/examples DCGAN measured 5282 s on one contended core).
# Setup on a bare machine: as in benchmarks/gpu_validate.sh (skorch wheel, SKGAN_DATA),
# plus kymatio for the scattering row (pip wheel kymatio --no-deps).
set -uo pipefail
out=${1:?usage: benchmarks/gpu_long_runs.sh OUTDIR selfsup|pytorch|cifar}
stage=${2:?usage: benchmarks/gpu_long_runs.sh OUTDIR selfsup|pytorch|cifar}
source "$(dirname "$0")/_gpu_env.sh"
common=(--device cuda --data-home "$SKGAN_DATA" --n-epochs 10 --full-c 0.001 --no-solver-check
    --out "$out")
case "$stage" in
selfsup)
    timeout 570 "$python" benchmarks/mnist_linear_probe.py "${common[@]}" --name mnist_selfsup_e10 \
        --models random-d random-d-pool2 contrastive-d contrastive-d-pool2 dcgan-d rotation-d \
        scattering raw ;;
pytorch)
    timeout 570 "$python" benchmarks/mnist_linear_probe.py "${common[@]}" \
        --name mnist_pytorch_dcgan --models raw random-d dcgan-d --pytorch-dcgan ;;
cifar)
    cifar=${SKGAN_CIFAR10:-$(dirname "$SKGAN_DATA")/cifar10}
    timeout 570 "$python" benchmarks/cifar10_linear_probe.py --device cuda --data-home "$cifar" \
        --n-epochs 30 --seeds 0 --n-draws 3 --out "$out" --name cifar10_linear_probe ;;
*)
    echo "unknown stage $stage (selfsup, pytorch or cifar)" >&2
    exit 2 ;;
esac 2>&1 | tee "$out/$stage.log"
