// The chapter's MLP as a Keras Sequential model: Compile, Fit, Evaluate; then exported as an int8
// .enb blob for the board (the ClassifyImage sample runs it).
// dotnet run [-- EPOCHS [BLOB]]   (default: 5 epochs, digits-int8.enb)
using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

int epochs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
string blob = args.Length > 1 ? args[1] : "digits-int8.enb";
var data = Datasets.LoadDigits();
var (x, y) = Arrays(data.Train);
var (xTest, yTest) = Arrays(data.Test);

var model = new Sequential([new Flatten(), new Dense(100, activation: "relu"), new Dense(10), new Softmax()]);
model.Compile(new Adam(learningRate: 0.001f), "sparse_categorical_crossentropy", "sparse_categorical_accuracy");
model.Fit(x, y, epochs: epochs, batchSize: 50, verbose: 2);
var result = model.Evaluate(xTest, yTest, batchSize: 50, verbose: 0);
Console.WriteLine($"test loss: {result["loss"]:F4}, test accuracy: {result["sparse_categorical_accuracy"]:F4}");

var report = model.Export(blob, new QuantizationOptions { Scheme = QuantizationScheme.Int8 }, data,
    (m, test) => m.Evaluate(Arrays(test).X, Arrays(test).Y, batchSize: 50, verbose: 0)["sparse_categorical_accuracy"]);
Console.WriteLine($"exported {report.Path}: {report.Bytes} bytes, int8 accuracy {report.QuantizedAccuracy:F4} (float {report.FloatAccuracy:F4})");

static (NDArray X, NDArray Y) Arrays(ImageDataset d) =>
    (new NDArray(d.Images, d.Count, d.Height, d.Width, d.Channels), new NDArray(d.LabelsAsFloat(), d.Count));
