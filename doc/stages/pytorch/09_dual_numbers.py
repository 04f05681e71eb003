# Not a tutorial stage: the nearest PyTorch 1.13 spelling of what 09_dual_numbers does.
# torch.autograd.functional computes the gradient and the Hessian in reverse mode (the
# Hessian by reverse-over-reverse); eigrad's sample uses forward mode (dual numbers).
import torch
import math
from torch.autograd.functional import hessian, jacobian

x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
y = torch.sin(x)


def loss_fn(p):
    return (p[0] + p[1] * x + p[2] * x ** 2 + p[3] * x ** 3 - y).pow(2).sum()


p = torch.randn(4, dtype=torch.float64)
for t in range(10):
    print(t, loss_fn(p).item())
    gradient = jacobian(loss_fn, p)
    step = torch.linalg.solve(hessian(loss_fn, p), gradient)
    p -= step
    # Stop once the correction is at the level of rounding in the coefficients.
    if step.abs().max() <= 64 * torch.finfo(p.dtype).eps * (1 + p.abs().max()):
        break

a, b, c, d = p.tolist()
print(f'Result: y = {a} + {b} x + {c} x^2 + {d} x^3')
