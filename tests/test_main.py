import re

from skgan.__main__ import main


def test_demo_prints_four_rows_and_writes_a_sample_grid_per_generator(tmp_path, capsys):
    assert main(["demo", "--n-epochs", "1", "--width", "8", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for row in ("raw pixels", "random-weight D", "plain DCGAN D", "contrastive D"):
        assert row in out
    for name in ("digits_samples.png", "digits_samples_plain.png"):
        png = tmp_path / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # 8x8 digits tile to 73 px; the grid is enlarged 3x to be seen.
        assert int.from_bytes(png.read_bytes()[16:20], "big") == 219
    real = re.search(r"real test digits: (\d+) % recognised", out)
    generated = re.findall(r"D generator: (\d+) % recognised", out)
    assert real and len(generated) == 2
    # One epoch of width 8 draws noise-like images: far fewer recognised than real digits.
    assert int(real.group(1)) >= 90 > max(int(g) for g in generated) + 30
