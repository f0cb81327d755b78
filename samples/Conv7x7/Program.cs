// The chapter's convolution example: one 3x3 filter with bias 1 over a 7x7 single-channel image,
// 'valid' padding, stride 1; prints the 5x5 result the chapter prints, then the stride-2 and 'same' shapes.
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Tensors;

float[] image =
[
    0, 0, 0, 0, 0, 0, 0,
    0, 1, 0, 1, 2, 1, 0,
    0, 0, 2, 2, 0, 1, 0,
    0, 1, 1, 0, 2, 1, 0,
    0, 0, 2, 1, 1, 0, 0,
    0, 2, 1, 1, 2, 0, 0,
    0, 0, 0, 0, 0, 0, 0,
];
float[] w = [0, 0, -1, 0, 1, 0, -2, 0, 2];

foreach (var (strides, padding) in new[] { (1, "valid"), (2, "valid"), (1, "same") })
{
    var model = new Sequential([new Conv2D(filters: 1, kernelSize: [3, 3], strides: [strides, strides], padding: padding,
        kernelInitializer: Initializer.Constant(w), biasInitializer: Initializer.Constant([1f]))]);
    var output = model.Apply(Tensor.FromArray(image, 1, 7, 7, 1));   // [1, H, W, 1]
    int side = output.Shape[1];
    Console.WriteLine($"strides={strides}, padding='{padding}': {side}x{side}");
    float[] values = output.ToArray();
    for (int r = 0; r < side; r++)
    {
        Console.WriteLine("[" + string.Join(" ", values.Skip(r * side).Take(side).Select(v => v.ToString("0", System.Globalization.CultureInfo.InvariantCulture).PadLeft(3))) + "]");
    }
}
