"""A memmap or a Dataset is fitted and transformed without being loaded: checked by memory use."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "out_of_core.py"


@pytest.mark.slow  # about a minute on 2 cores: run with pytest -m slow
def test_memmap_fit_and_transform_stay_far_below_the_file_size(tmp_path):
    # 40000 images of 32 x 32: a 39 MiB file; no training epochs, so the run is
    # the batchnorm statistics pass plus transform, reading every image.
    subprocess.run(
        [sys.executable, str(BENCHMARK), "--n", "40000", "--n-epochs", "0", "--out", tmp_path],
        check=True,
        capture_output=True,
        cwd=BENCHMARK.parent,
    )
    result = json.loads((tmp_path / "out_of_core-cpu.json").read_text())
    growth, size = result["peak_anon_growth_mib"], result["input_file_mib"]
    assert growth["fit on memmap"] < 0.25 * size
    assert growth["transform memmap into memmap"] < 0.25 * size
    assert growth["fit on Dataset"] < 0.25 * size
    assert growth["transform Dataset into memmap"] < 0.25 * size
    assert growth["np.load whole file, then fit"] > 0.9 * size  # the contrast is real
