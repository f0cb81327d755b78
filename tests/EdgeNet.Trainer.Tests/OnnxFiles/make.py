#!/usr/bin/env python3
"""Writes the small ONNX files the importer tests read (checked in; rerun only to change them):
    /usr/bin/python3 tests/EdgeNet.Trainer.Tests/OnnxFiles/make.py   (python3-torch python3-onnx)
lstm.onnx: nn.LSTM(5, 8, batch_first=True) and h[-1] (gates i, o, f, c; two biases; a ConstantOfShape zero state).
view_flatten.onnx: x.view(x.size(0), -1) as torch writes it (a shape chain to fold) and x.mean([2, 3]).
cnn_flatten.onnx: torch.onnx.export of a CNN whose Flatten reads a 4x4x8 feature map (the C,H,W order a converter
  must keep), BatchNormalization kept as a node, a padded max pooling after a ReLU, a depthwise conv with
  multiplier 2, Clip(0, 6), Gemm, Softmax.
residual.onnx: an inverted residual block (expand, depthwise, project, Add), global average pooling, Linear.
matmul.onnx: an MLP written as MatMul + Add (what tf2onnx and torch's nn.Linear on 3-D write), opset 17.
se_block.onnx: MobileNetV3/EfficientNet's operators as torch writes them at opset 13: Hardswish (HardSigmoid + Mul),
  squeeze-and-excitation (GlobalAveragePool, 1x1 convs on [N, C, 1, 1], Hardsigmoid or Sigmoid, Mul(scale, x)), SiLU
  (Sigmoid + Mul), a product of two branches, torchvision's classifier (Linear, Hardswish, Dropout, Linear).
se_block14.onnx: the same model at opset 14 (HardSwish as one node).
fire.onnx: SqueezeNet's fire modules (torchvision's Fire: squeeze 1x1, expand 1x1 and 3x3, Concat over the channels)
  with a ceil_mode max pooling between them, global average pooling, Flatten.
shuffle.onnx: ShuffleNetV2's units (torchvision's InvertedResidual): a stride-2 unit (two branches, Concat) and a
  stride-1 unit (x.chunk(2, 1) as Slices, Concat), each ending in channel_shuffle (Reshape to 5-D, Transpose
  [0, 2, 1, 3, 4], Reshape back, their shapes from Shape chains to fold); x.mean([2, 3]), Linear.
flat_out.onnx: a convolution whose flattened map is the graph's output (ONNX's C, H, W order out of NHWC).
affine.onnx: a normalization inside the graph, (x - mean) / std per channel, and a scalar scale and shift after a ReLU.
hsig_keras2.onnx: a HardSigmoid with Keras 2's alpha 0.2 (tf2onnx's): refused, naming its parameters.
unsupported.onnx: LeakyRelu, Div, Pow and a Transpose of H and W, to be listed at once.
bn_flat.onnx: BatchNormalization over a flattened 2x3x3 map (its features are in ONNX's C, H, W order): refused.
ceil_pool.onnx: max poolings with ceil_mode=True after ReLUs (one adds a last, partial window; one padded, where it adds none).
ceil_drop.onnx: ceil_mode=True whose last window would start in the padding (PyTorch drops it, ONNX Runtime keeps it): refused.
old_opset.onnx: opset 9.  external.onnx: a weight in an external file that is not there."""
import os
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
import torch
import torch.nn as nn
import torchvision

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(7)


def bn(c):
    b = nn.BatchNorm2d(c)
    b.running_mean.uniform_(-0.5, 0.5); b.running_var.uniform_(0.5, 1.5)
    b.weight.data.uniform_(0.5, 1.5); b.bias.data.uniform_(-0.5, 0.5)
    return b


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = bn(4)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.dw = nn.Conv2d(4, 8, 3, padding=1, groups=4)
        self.fc = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        x = torch.clamp(self.dw(x), 0, 6)
        return torch.softmax(self.fc(torch.flatten(x, 1)), 1)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), bn(8), nn.ReLU6())
        self.block = nn.Sequential(nn.Conv2d(8, 24, 1, bias=False), bn(24), nn.ReLU6(),
                                   nn.Conv2d(24, 24, 3, 1, 1, groups=24, bias=False), bn(24), nn.ReLU6(),
                                   nn.Conv2d(24, 8, 1, bias=False), bn(8))
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.block(x)
        return self.fc(nn.functional.adaptive_avg_pool2d(x, 1).flatten(1))


class ViewFlatten(nn.Module):
    """A user's CNN: x.view(x.size(0), -1) (Shape, Gather, Unsqueeze, Concat, Reshape) and a mean over H, W."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 6, 3, stride=2)
        self.fc = nn.Linear(6 * 3 * 4, 3)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(x.view(x.size(0), -1)) + self.head(x.mean([2, 3]))


class Lstm(nn.Module):
    """nn.LSTM(batch_first=True) and its last hidden state h[-1] (torch writes a zero initial state over the batch)."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 8, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        _, (h, c) = self.lstm(x)
        return self.fc(h[-1])


class CeilPool(nn.Module):
    """torchvision's SqueezeNet pools with ceil_mode=True: an 8x9 map pooled 3/2 gives 4x4 (floor: 3x4)."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 3 * 3, 3)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.c1(x)), 3, 2, ceil_mode=True)
        x = nn.functional.max_pool2d(torch.relu(self.c2(x)), 2, 2, padding=1, ceil_mode=True)
        return self.fc(torch.flatten(x, 1))


class SeBlock(nn.Module):
    """A MobileNetV3 block (hardswish, SE with a hard-sigmoid gate) and an EfficientNet one (SiLU, SE with a sigmoid gate)."""
    def __init__(self):
        super().__init__()
        se = torchvision.ops.SqueezeExcitation
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), bn(8), nn.Hardswish())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=False), bn(8), nn.ReLU())
        self.se1 = se(8, 4, scale_activation=nn.Hardsigmoid)
        self.expand = nn.Sequential(nn.Conv2d(8, 16, 1, bias=False), bn(16), nn.SiLU())
        self.se2 = se(16, 4, activation=nn.SiLU)
        self.gate = nn.Conv2d(16, 16, 1)
        self.classifier = nn.Sequential(nn.Linear(16, 12), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(12, 5))

    def forward(self, x):
        x = self.se1(self.dw(self.stem(x)))
        x = self.se2(self.expand(x))
        x = x * self.gate(x)
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Fires(nn.Module):
    def __init__(self):
        super().__init__()
        fire = torchvision.models.squeezenet.Fire
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True))
        self.fires = nn.Sequential(fire(8, 4, 6, 6), fire(12, 4, 8, 8))
        self.head = nn.Sequential(nn.Conv2d(16, 5, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x):
        return self.head(self.fires(self.stem(x)))


class Shuffles(nn.Module):
    def __init__(self):
        super().__init__()
        unit = torchvision.models.shufflenetv2.InvertedResidual
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), bn(8), nn.ReLU())
        self.units = nn.Sequential(unit(8, 16, 2), unit(16, 16, 1))
        self.fc = nn.Linear(16, 4)
        for m in self.units.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5); m.running_var.uniform_(0.5, 1.5)

    def forward(self, x):
        return self.fc(self.units(self.stem(x)).mean([2, 3]))


class FlatOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)

    def forward(self, x):
        return torch.flatten(torch.relu(self.conv(x)), 1)


class Affine(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = torch.relu(self.conv((x - self.mean) / self.std))
        x = 1.5 - x * 0.5
        return self.fc(x.mean([2, 3]))


def export(net, shape, name, opset=13, **kw):
    net.eval()
    torch.onnx.export(net, torch.randn(*shape), os.path.join(here, name), opset_version=opset, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, **kw)


export(Cnn(), (1, 3, 8, 8), "cnn_flatten.onnx", training=torch.onnx.TrainingMode.PRESERVE)
export(Residual(), (1, 3, 12, 10), "residual.onnx")
export(ViewFlatten(), (1, 2, 7, 9), "view_flatten.onnx")
export(Lstm(), (1, 7, 5), "lstm.onnx")
export(CeilPool(), (1, 3, 8, 9), "ceil_pool.onnx")
torch.manual_seed(11)
se_net = SeBlock()
export(se_net, (1, 3, 10, 9), "se_block.onnx")
export(se_net, (1, 3, 10, 9), "se_block14.onnx", opset=14)
torch.manual_seed(12)
export(Fires(), (1, 3, 23, 21), "fire.onnx")
export(Shuffles(), (1, 3, 10, 12), "shuffle.onnx")
export(FlatOut(), (1, 2, 5, 6), "flat_out.onnx")
export(Affine(), (1, 3, 6, 7), "affine.onnx")

rng = np.random.default_rng(3)
def init(name, a):
    return numpy_helper.from_array(a.astype(np.float32), name)

w1, b1, w2, b2 = rng.normal(size=(6, 7)), rng.normal(size=7), rng.normal(size=(7, 3)), rng.normal(size=3)
g = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"), helper.make_node("Add", ["h", "b1"], ["hb"], name="fc1_bias"),
     helper.make_node("Tanh", ["hb"], ["t"], name="tanh"), helper.make_node("Dropout", ["t"], ["d"], name="drop"),
     helper.make_node("MatMul", ["d", "w2"], ["o"], name="fc2"), helper.make_node("Add", ["b2", "o"], ["y"], name="fc2_bias")],
    "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 6])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])],
    [init("w1", w1), init("b1", b1), init("w2", w2), init("b2", b2)])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), os.path.join(here, "matmul.onnx"))

c = rng.normal(size=(4, 3, 1, 1))
g = helper.make_graph(
    [helper.make_node("Conv", ["x", "c"], ["a"], name="conv"), helper.make_node("LeakyRelu", ["a"], ["h"], name="lrelu_1"),
     helper.make_node("Div", ["a", "h"], ["m"], name="div_1"), helper.make_node("LeakyRelu", ["m"], ["h2"], name="lrelu_2"),
     helper.make_node("Pow", ["m", "h2"], ["y"], name="pow_1"),
     helper.make_node("Transpose", ["m"], ["swapped"], perm=[0, 1, 3, 2], name="swap_hw")],
    "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 4, 4])],
    [init("c", c)])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(here, "unsupported.onnx"))

g = helper.make_graph([helper.make_node("HardSigmoid", ["x"], ["y"], name="hsig_keras", alpha=0.2, beta=0.5)], "keras2",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(here, "hsig_keras2.onnx"))

g = helper.make_graph(
    [helper.make_node("Flatten", ["x"], ["f"], axis=1, name="flatten"),
     helper.make_node("BatchNormalization", ["f", "s", "b", "m", "v"], ["y"], name="bn_on_flat")],
    "bnflat", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 2, 3, 3])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 18])],
    [init("s", np.ones(18)), init("b", np.zeros(18)), init("m", rng.normal(size=18)), init("v", np.ones(18))])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(here, "bn_flat.onnx"))

g = helper.make_graph([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                      helper.make_node("MaxPool", ["r"], ["y"], name="pool", kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)],
                     "ceildrop", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1, 5, 5])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 1, 3, 3])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(here, "ceil_drop.onnx"))

g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "old",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 9)]), os.path.join(here, "old_opset.onnx"))

w = TensorProto(); w.name = "w"; w.data_type = TensorProto.FLOAT; w.dims.extend([4, 2])
w.data_location = TensorProto.EXTERNAL
e = w.external_data.add(); e.key = "location"; e.value = "weights.bin"
g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")], "ext",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], [w])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(here, "external.onnx"))
for f in sorted(os.listdir(here)):
    if f.endswith(".onnx"):
        m = onnx.load(os.path.join(here, f), load_external_data=False)
        print(f, os.path.getsize(os.path.join(here, f)), "bytes:", ", ".join(sorted({n.op_type for n in m.graph.node})))
