import re

from skgan.__main__ import main


def test_demo_prints_three_rows_and_writes_a_sample_grid(tmp_path, capsys):
    assert main(["demo", "--n-epochs", "1", "--width", "8", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for row in ("raw pixels", "random-weight D", "trained D"):
        assert row in out
    png = tmp_path / "digits_samples.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # 8x8 digits tile to 73 px; the grid is enlarged 3x to be seen.
    assert int.from_bytes(png.read_bytes()[16:20], "big") == 219
    real = re.search(r"real test digits: (\d+) % recognised", out)
    generated = re.search(r"generated digits: (\d+) % recognised", out)
    assert real and generated
    # One epoch of width 8 draws noise-like images: far fewer recognised than real digits.
    assert int(real.group(1)) >= 90 > int(generated.group(1)) + 30
