"""PyTorch twin of the TensorFlow.js training benchmark (workload.ts): the same three networks as
src/ml/models (mobile2 = MobileNetV2 for 28x28, the small ResNet, the base CNN), batch 128 of
random 28x28x1 images, 100 classes, cross-entropy, Adam lr 1e-3, on ONE thread.

Usage: /usr/bin/python3 torch_bench.py NETWORK BATCHES WARMUP  -> one JSON line on stdout.
"""
import json
import sys
import time

import torch
import torch.nn as nn

BATCH, CLASSES = 128, 100
BN = dict(eps=1e-3, momentum=0.01)  # Keras momentum 0.99


def conv_bn(cin, cout, k, stride=1, act=None):
    layers = [nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout, **BN)]
    if act == "relu":
        layers.append(nn.ReLU())
    elif act == "relu6":
        layers.append(nn.ReLU6())
    return nn.Sequential(*layers)


def head(cin):
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, CLASSES))


def round_channels(c, divisor=8):
    r = max(divisor, int((c + divisor / 2) // divisor) * divisor)
    return r + divisor if r < 0.9 * c else r


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = round(cin * t)
        layers = [] if t == 1 else [conv_bn(cin, hidden, 1, act="relu6")]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden, **BN),
            nn.ReLU6(),
            conv_bn(hidden, cout, 1),
        ]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


def mobile2(expansion=6):
    layers, c = [conv_bn(1, 32, 3, act="relu6")], 32
    for t, out, n, s in [(1, 16, 1, 1), (expansion, 24, 2, 2), (expansion, 32, 3, 2), (expansion, 64, 4, 2)]:
        out = round_channels(out)
        for j in range(n):
            layers.append(InvertedResidual(c, out, s if j == 0 else 1, t))
            c = out
    layers += [conv_bn(c, 256, 1, act="relu6"), head(256)]
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.branch = nn.Sequential(conv_bn(cin, cout, 3, stride, act="relu"), conv_bn(cout, cout, 3))
        self.shortcut = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return torch.relu(self.shortcut(x) + self.branch(x))


def resnet(per_stage=2):
    layers, c = [conv_bn(1, 16, 3, act="relu")], 16
    for stage, width in enumerate([16, 32, 64]):
        for j in range(per_stage):
            layers.append(BasicBlock(c, width, 2 if stage > 0 and j == 0 else 1))
            c = width
    return nn.Sequential(*layers, head(c))


def cnn(blocks=3):
    layers, c = [], 1
    for i in range(blocks):
        f = 32 * 2**i
        layers += [conv_bn(c, f, 3, act="relu"), conv_bn(f, f, 3, act="relu"), nn.MaxPool2d(2, ceil_mode=True)]
        c = f
    return nn.Sequential(*layers, head(c))


def main():
    network, batches, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = {"mobile2": mobile2, "resnet": resnet, "cnn": cnn}[network]()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    images = torch.rand(BATCH, 1, 28, 28)
    labels = torch.randint(0, CLASSES, (BATCH,))

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(warmup):
        step()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(batches):
        step()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(json.dumps({
        "network": network,
        "backend": "pytorch",
        "device": f"cpu, torch {torch.__version__}, 1 thread",
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "batches": batches,
        "batchSize": BATCH,
        "imagesPerSecond": BATCH * batches / wall,
        "imagesPerCpuSecond": BATCH * batches / cpu,
    }))


if __name__ == "__main__":
    main()
