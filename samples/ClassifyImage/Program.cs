// The edge runtime in a few lines: load a blob (e.g. MlpFit's digits-int8.enb) and classify an image file.
// dotnet run -- BLOB IMAGE [--invert]   (--invert: dark ink on light paper; MNIST digits are light on dark)
using EdgeNet.Runtime.Input;

using var model = new ImageClassifier(args[0]);
var top = model.ClassifyFile(args[1], invert: args.Contains("--invert"));
Console.WriteLine($"{args[1]}: {top[0].Name} ({top[0].Probability:P1})");
Console.WriteLine("top 3: " + string.Join(", ", top.Select(c => $"{c.Name} {c.Probability:F3}")));
Console.WriteLine(model.Description);
