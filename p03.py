import math, torch
x = torch.linspace(-math.pi, math.pi, 2000); y = torch.sin(x)
a,b,c,d = [torch.tensor(v, requires_grad=True) for v in (2.040919065475464,-2.5556650161743164,0.4180988371372223,-0.5677695870399475)]
for t in range(40):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    print(t, *[float(v).hex() for v in (loss.item(), a.grad.item(), b.grad.item(), c.grad.item(), d.grad.item())])
    with torch.no_grad():
        for q in (a,b,c,d): q -= 1e-6 * q.grad; q.grad = None
