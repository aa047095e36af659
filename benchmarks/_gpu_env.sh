# Shared set-up of the GPU scripts (sourced): OUTDIR made absolute, the repository
# root as working directory and on PYTHONPATH, SKGAN_DATA and $python set.
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export SKGAN_DATA=${SKGAN_DATA:-$PWD/../shared/data/mnist}
python=${PYTHON:-python3}
