#!/usr/bin/env python3
"""Exports torchvision's classification families (random weights, eval mode) with torch.onnx.export, the files the
ONNX importer is measured on (scripts/bench-import.sh). Needs Debian's python3-torch python3-torchvision python3-onnx:
    apt-get install python3-torch python3-torchvision python3-onnx
usage: /usr/bin/python3 scripts/onnx-zoo.py OUT_DIR [--size 96] [--opset 13] [--only NAME,...]
Prints each file's operators (what the importer must map)."""
import argparse, collections, os, sys
import torch, torchvision, onnx

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--size", type=int, default=96)
p.add_argument("--opset", type=int, default=13)
p.add_argument("--only", default="")
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
m = torchvision.models
families = {
    "mobilenet_v2": lambda: m.mobilenet_v2(width_mult=0.35, num_classes=10),
    "mobilenet_v3_small": lambda: m.mobilenet_v3_small(num_classes=10),
    "resnet18": lambda: m.resnet18(num_classes=10),
    "squeezenet1_1": lambda: m.squeezenet1_1(num_classes=10),
    "shufflenet_v2_x0_5": lambda: m.shufflenet_v2_x0_5(num_classes=10),
    "mnasnet0_5": lambda: m.mnasnet0_5(num_classes=10),
    "efficientnet_b0": lambda: m.efficientnet_b0(num_classes=10),
}
only = set(filter(None, a.only.split(",")))
torch.manual_seed(1)
for name, make in families.items():
    if only and name not in only:
        continue
    net = make().eval()
    # Random BN statistics, so folding them is not the identity.
    for mod in net.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5); mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5); mod.bias.data.uniform_(-0.5, 0.5)
    path = os.path.join(a.out, f"{name}.onnx")
    torch.onnx.export(net, torch.randn(1, 3, a.size, a.size), path, opset_version=a.opset,
                      input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    ops = collections.Counter(n.op_type for n in onnx.load(path).graph.node)
    print(f"{name}: {path} ({os.path.getsize(path):,} bytes), opset {a.opset}: " + ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))
