"""The README's main job runs and the threaded engine gives the naive engine's results."""
from minimx import engine_demo as demo


def test_demo_runs_and_agrees(capsys):
    speedup = demo.main(n=128, steps=3)
    out = capsys.readouterr().out
    assert "speed-up" in out and "results identical: True" in out and "minimx-cpu-" in out
    assert speedup > 0
