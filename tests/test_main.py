from skgan.__main__ import main


def test_demo_prints_three_rows_and_writes_a_sample_grid(tmp_path, capsys):
    assert main(["demo", "--n-epochs", "1", "--width", "8", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for row in ("raw pixels", "random-weight D", "trained D"):
        assert row in out
    png = tmp_path / "digits_samples.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
