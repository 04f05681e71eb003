#!/usr/bin/python3
"""Does PyTorch itself stay inside a chaotic golden file's envelope when only the order of its
sums changes?

Runs the optim stage (Sequential(Linear(3, 1), Flatten(0, 1)), MSELoss(sum), RMSprop with the
file's options) in PyTorch from the file's starting weights, once on the tutorial's points in
their order and then on random permutations of them: the same loss, the same gradients, only
summed in another order. Each run is judged by the envelope rule of DESIGN.md (the tests' rule).
Needs Debian's python3-torch (PyTorch 1.13); not part of CI.

    scripts/chaos-permutations.py test/golden/06_optim.json --orders 40
"""
import argparse
import json
import math

import torch


def outside_envelope(golden, trace, weight, bias):
    """The checks of the envelope rule that a run fails (empty when it matches)."""
    env = golden["envelope"]
    reference = dict((t, loss) for t, loss in golden["trace"])
    bounds = {t: (lo, hi) for t, lo, hi in env["trace"]}
    failed = []

    def widened(lo, hi, relative):  # test/support/golden.cpp's admitted_range()
        half_width = (hi - lo) / 2
        below, above = (1e-4 * abs(lo), 1e-4 * abs(hi)) if relative else (1e-4, 1e-4)
        return lo - half_width - below, hi + half_width + above

    for t, loss in trace:
        if t < env["from"]:
            if abs(loss - reference[t]) > 1e-4 * abs(reference[t]):
                failed.append(f"loss at {t}: {loss} vs {reference[t]}")
        else:
            lo, hi = bounds[t]
            low, high = widened(lo, hi, True)
            if not low <= loss <= high:
                failed.append(f"loss at {t}: {loss} outside [{lo}, {hi}]")
    for i, (lo, hi) in enumerate(env["weight"]):
        low, high = widened(lo, hi, False)
        if not low <= weight[i] <= high:
            failed.append(f"weight {i}: {weight[i]} outside [{lo}, {hi}]")
    lo, hi = env["bias"]
    low, high = widened(lo, hi, False)
    if not low <= bias <= high:
        failed.append(f"bias: {bias} outside [{lo}, {hi}]")
    return failed


def train(golden, order):
    dtype = torch.float32 if golden["dtype"] == "float32" else torch.float64
    x = torch.linspace(-math.pi, math.pi, golden["n"], dtype=dtype)[order]
    y = torch.sin(x)
    xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).to(dtype)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([golden["init"]["weight"]], dtype=dtype))
        model[0].bias.copy_(torch.tensor([golden["init"]["bias"]], dtype=dtype))
    options = dict(golden["optimizer"])
    assert options.pop("name") == "RMSprop", "only the RMSprop files carry an envelope"
    optimizer = torch.optim.RMSprop(model.parameters(), **options)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    trace = []
    for t in range(golden["iterations"]):
        loss = loss_fn(model(xx), y)
        if t % 100 == 99:
            trace.append((t, loss.item()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return trace, model[0].weight[0].tolist(), model[0].bias.item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("golden", help="a golden file with an envelope")
    parser.add_argument("--orders", type=int, default=20, help="random permutations to run")
    args = parser.parse_args()
    torch.set_num_threads(1)
    golden = json.load(open(args.golden))
    n = golden["n"]
    failed = outside_envelope(golden, *train(golden, torch.arange(n)))
    print(f"{args.golden}: the tutorial's order is {'OUTSIDE: ' + failed[0] if failed else 'inside'}")
    outside = 0
    for seed in range(args.orders):
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        failed = outside_envelope(golden, *train(golden, order))
        outside += bool(failed)
        print(f"  order {seed}: {'OUTSIDE: ' + failed[0] if failed else 'inside'}", flush=True)
    print(f"{args.golden}: {outside} of {args.orders} orders outside the envelope")


if __name__ == "__main__":
    main()
