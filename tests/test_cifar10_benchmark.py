"""The CIFAR-10 benchmark's helpers: the validation split and Coates & Ng's k-means features."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _coates_kmeans import KMeansFeatures, _normalised  # noqa: E402
from cifar10_linear_probe import main, markdown, merge, split  # noqa: E402


def test_the_validation_split_is_the_last_images_of_every_class():
    y = np.repeat(np.arange(3), 5)  # sorted by class, as the archive is
    X = np.arange(15)
    (pool, y_pool), (val, y_val) = split(X, y, 6)
    assert val.tolist() == [3, 4, 8, 9, 13, 14] and np.bincount(y_val).tolist() == [2, 2, 2]
    assert sorted(pool.tolist() + val.tolist()) == list(range(15))
    assert y_pool.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_patches_are_normalised_per_patch():
    patches = torch.tensor([[0.0, 10.0, 20.0, 30.0], [5.0, 5.0, 5.0, 5.0]])
    out = _normalised(patches)
    torch.testing.assert_close(out.mean(dim=1), torch.zeros(2))
    assert torch.equal(out[1], torch.zeros(4))  # a flat patch stays flat (regularised var)


def test_kmeans_features_are_triangle_activations_pooled_by_quadrant():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 3, 12, 12), dtype=np.uint8)
    features = KMeansFeatures(n_centroids=5, n_patches=2000, random_state=0).fit(images)
    out = features.transform(images)
    assert out.shape == (12, 4 * 5) and out.dtype == np.float32 and (out >= 0).all()
    # Every centroid is nearer than the mean distance to some patches of some images.
    assert out.std(axis=0).min() > 0
    again = KMeansFeatures(n_centroids=5, n_patches=2000, random_state=0).fit(images)
    np.testing.assert_allclose(again.transform(images[:3]), out[:3], rtol=1e-5)
    # ZCA (unlike PCA whitening) is a symmetric map: patches stay patches.
    assert torch.allclose(features.whitening_, features.whitening_.T, atol=1e-5)


def _run(tmp_path, name, rows, cpu="x", **args):
    """A finished run's results file with the given rows (``{key: {setting: (dims, mean)}}``)."""
    machine = {"cpu": cpu, "cpu_cores": 2, "torch_threads": 1, "device": "cpu", "torch": "t"}
    machine.update(sklearn="s", date=name, commit="abc")
    records = {}
    for key, settings in rows.items():
        records[key] = {"title": key, "seed": 0, "settings": {}, "probe": {}}
        if key.startswith("default"):  # a trained GAN: its epochs' times
            records[key]["epoch_seconds"] = [1.0] * args.get("n_epochs", 1)
        for setting, (dims, mean) in settings.items():
            probe = {"mean": mean, "std": 0.0, "scores": [mean], "Cs": [0.01]}
            probe.update(validation=[{"0.01": mean}], seconds=1.0)
            records[key]["settings"][setting] = {
                "n_features": dims,
                "transform_seconds": 2.0,
                "transform_images_per_s": 5.0,
                "probe": {"100": probe},
            }
        best = max(settings, key=lambda s: settings[s][1])
        records[key]["probe"]["100"] = {**records[key]["settings"][best]["probe"]["100"]}
        records[key]["probe"]["100"]["setting"] = best
        records[key]["n_features"] = -1  # stale, as a run before the dims fix wrote it
    payload = {
        "machine": machine,
        "args": {
            "labels": [100],
            "cs": [0.01],
            "n_draws": 1,
            "n_epochs": 1,
            "max_iter": 9,
            "models": list(rows),
            **args,
        },
        "n_pool": 90,
        "n_validation": 10,
        "n_test": 20,
        "rows": records,
        "complete": True,
        "peak_rss_mb": 100.0,
        "seconds": 60.0,
    }
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(payload))
    return path


def test_merge_puts_the_rows_of_runs_of_one_protocol_in_one_table(tmp_path):
    first = _run(tmp_path, "a", {"default-seed0": {"2/max": (8, 0.5), "4/max": (32, 0.7)}})
    second = _run(tmp_path, "b", {"raw": {"-": (3072, 0.4)}})
    merged = merge([first, second])
    assert list(merged["rows"]) == ["default-seed0", "raw"]
    assert [row["run"] for row in merged["rows"].values()] == [1, 2]
    assert merged["rows"]["default-seed0"]["n_features"] == 32  # of the chosen read-out
    assert merged["seconds"] == 120.0 and merged["args"]["models"] == ["default-seed0", "raw"]
    text = markdown(merged)
    assert "| default-seed0 [run 1] | 32 | 70.00 |" in text
    assert "run 2: `b.json`, b, Commit abc." in text
    # threads, date and commit differ between runs: the header must not name the first's
    machine_line = next(line for line in text.splitlines() if line.startswith("Machine:"))
    assert "torch threads" not in machine_line and "Commit" not in machine_line
    assert "of each run: below" in machine_line


def test_a_merged_table_names_every_cpu_its_runs_ran_on(tmp_path):
    # regression: runs on another VM were listed as if on the first run's machine
    first = _run(tmp_path, "a", {"raw": {"-": (3072, 0.4)}}, cpu="Xeon")
    second = _run(tmp_path, "b", {"kmeans": {"-": (64, 0.6)}}, cpu="EPYC")
    lines = markdown(merge([first, second])).splitlines()
    header = next(line for line in lines if line.startswith("Machine:"))
    assert header.startswith("Machine: Xeon (2 cores) and EPYC (2 cores), device")
    note = next(line for line in lines if line.startswith("Rows merged"))
    assert "on these machines: run 1: `a.json`, a, Xeon (2 cores), Commit abc." in note
    assert "run 2: `b.json`, b, EPYC (2 cores), Commit abc." in note
    # one machine: named once in the header, not per run
    third = _run(tmp_path, "c", {"raw": {"-": (3072, 0.4)}}, cpu="Xeon")
    fourth = _run(tmp_path, "d", {"kmeans": {"-": (64, 0.6)}}, cpu="Xeon")
    text = markdown(merge([third, fourth]))
    assert (
        "Machine: Xeon (2 cores), device" in text
        and "on this machine: run 1: `c.json`, c, Commit" in text
    )


def test_merge_refuses_runs_of_another_protocol_or_the_same_row_twice(tmp_path):
    first = _run(tmp_path, "a", {"raw": {"-": (3072, 0.4)}})
    other = _run(tmp_path, "b", {"kmeans": {"-": (64, 0.6)}}, max_iter=5)
    with pytest.raises(SystemExit, match="--max-iter 5 differs from 9"):
        merge([first, other])
    again = _run(tmp_path, "c", {"raw": {"-": (3072, 0.4)}})
    with pytest.raises(SystemExit, match="row raw is in two runs"):
        merge([first, again])
    # a row that trains nothing does not depend on the epochs: still the same row
    longer = _run(tmp_path, "d", {"raw": {"-": (3072, 0.4)}}, n_epochs=20)
    with pytest.raises(SystemExit, match="row raw is in two runs"):
        merge([first, longer])


def test_merge_names_the_epochs_of_a_run_of_other_epochs_and_summarises_its_seeds_apart(
    tmp_path,
):
    seeds = [
        _run(tmp_path, f"s{seed}", {f"default-seed{seed}": {"2/max": (8, score)}})
        for seed, score in ((0, 0.5), (1, 0.7))
    ]
    longer = _run(tmp_path, "long", {"default-seed0": {"2/max": (8, 0.9)}}, n_epochs=20)
    merged = merge([*seeds, longer])
    assert list(merged["rows"]) == ["default-seed0", "default-seed1", "default-seed0-epochs20"]
    assert list(merged["seed_summary"]) == ["default"]  # one 20-epoch seed: no spread yet
    assert merged["seed_summary"]["default"]["n_seeds"] == 2
    assert merged["seed_summary"]["default"]["probe"]["100"]["mean"] == pytest.approx(0.6)
    text = markdown(merged)
    assert "| default-seed0, 20 epochs [run 3] | 8 | 90.00 |" in text
    assert "GAN fits: 1 epochs (unless a row names its own)" in text
    longer1 = _run(tmp_path, "long1", {"default-seed1": {"2/max": (8, 0.8)}}, n_epochs=20)
    summary = merge([*seeds, longer, longer1])["seed_summary"]["default-epochs20"]
    assert summary["n_seeds"] == 2 and summary["probe"]["100"]["mean"] == pytest.approx(0.85)
    assert "| **default, 20 epochs, mean ± std over 2 seeds** | | **85.00 ± 5.00** |" in (
        markdown(merge([*seeds, longer, longer1]))
    )


def test_a_merged_table_merges_again_with_its_runs_rows_and_note_as_they_stand(tmp_path):
    seeds = [
        _run(tmp_path, f"s{seed}", {f"default-seed{seed}": {"2/max": (8, score)}})
        for seed, score in ((0, 0.5), (1, 0.7))
    ]
    longer = _run(tmp_path, "long", {"default-seed0": {"2/max": (8, 0.9)}}, n_epochs=20)
    table = tmp_path / "table.json"
    table.write_text(json.dumps({**merge([*seeds, longer]), "note": "How it ran: alone."}))
    longer1 = _run(tmp_path, "long1", {"default-seed1": {"2/max": (8, 0.8)}}, n_epochs=20)
    again = merge([table, longer1])
    assert again["rows"] == merge([*seeds, longer, longer1])["rows"]
    assert [run["file"] for run in again["runs"]] == [
        "s0.json", "s1.json", "long.json", "long1.json"
    ]  # fmt: skip
    assert again["note"] == "How it ran: alone." and "How it ran: alone." in markdown(again)
    assert "| default-seed1, 20 epochs [run 4] | 8 | 80.00 |" in markdown(again)
    with pytest.raises(SystemExit, match="row default-seed0-epochs20 is in two runs"):
        merge([table, longer])


def test_main_merges_runs_into_one_results_file_with_the_note(tmp_path):
    first = _run(tmp_path, "a", {"raw": {"-": (3072, 0.4)}})
    second = _run(tmp_path, "b", {"kmeans": {"-": (64, 0.6)}})
    out = tmp_path / "out"
    main(
        [
            "--merge",
            str(first),
            str(second),
            "--out",
            str(out),
            "--name",
            "both-cpu",
            "--note",
            "How it ran: two processes.",
        ]
    )
    text = (out / "both-cpu.md").read_text()
    assert "| raw [run 1] |" in text and "| kmeans [run 2] |" in text
    assert "How it ran: two processes." in text
    assert json.loads((out / "both-cpu.json").read_text())["note"] == "How it ran: two processes."
    with pytest.raises(SystemExit, match="--note goes with --merge"):
        main(["--note", "x"])
