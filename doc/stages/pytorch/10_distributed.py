# Not a tutorial stage: the optim stage trained data-parallel with torch.distributed.
# Run it as 2 processes on the gloo backend:
#   torchrun --nproc_per_node 2 10_distributed.py
# or, without torchrun, one process per rank:
#   for r in 0 1; do RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 \
#     python3 10_distributed.py & done; wait
# Each rank holds every world_size-th point, DDP sums the ranks' gradients (a comm hook: its
# default averages them) and the printed loss is the sum over all points, as in the optim stage.
import torch
import math
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

dist.init_process_group('gloo')  # rank, world size and rendezvous from torchrun

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

# This rank's points. Padding would count some points twice in the summed loss.
sampler = DistributedSampler(range(len(x)), shuffle=False)
assert sampler.total_size == len(x), 'the points must split evenly among the ranks'
mine = list(sampler)
xx_mine, y_mine = xx[mine], y[mine]

model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1)
)
# Rank 0's weights on every rank; the gradients of every rank's part of the loss summed.
ddp = DistributedDataParallel(model)


def allreduce_sum(state, bucket):
    work = dist.all_reduce(bucket.buffer(), async_op=True)
    return work.get_future().then(lambda future: future.value()[0])


ddp.register_comm_hook(None, allreduce_sum)
loss_fn = torch.nn.MSELoss(reduction='sum')

learning_rate = 1e-3
optimizer = torch.optim.RMSprop(ddp.parameters(), lr=learning_rate)
for t in range(2000):
    loss = loss_fn(ddp(xx_mine), y_mine)
    total_loss = loss.detach().clone()
    dist.all_reduce(total_loss)
    if t % 100 == 99 and dist.get_rank() == 0:
        print(t, total_loss.item())

    optimizer.zero_grad()
    loss.backward()  # DDP all-reduces the gradients during backward
    optimizer.step()

if dist.get_rank() == 0:
    linear_layer = model[0]
    print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + '
          f'{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
dist.destroy_process_group()
