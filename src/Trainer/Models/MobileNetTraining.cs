using System.Diagnostics;
using EdgeNet.Formats.Data;
using EdgeNet.Trainer.Data;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Applications;
using EdgeNet.Trainer.Keras.Callbacks;
using EdgeNet.Trainer.Keras.Losses;
using EdgeNet.Trainer.Keras.Metrics;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Keras.Optimizers;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Models;

/// <summary>The chapter's MobileNetV2 example as options (the command's flags).</summary>
public sealed record MobileNetTrainingOptions
{
    /// <summary>Width multiplier.</summary>
    public double Alpha { get; init; } = 0.35;

    /// <summary>Input height and width.</summary>
    public int Size { get; init; } = 96;

    /// <summary>Passes over the training images.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Images per step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>BatchNormalization momentum (Keras' MobileNetV2: 0.999).</summary>
    public float BnMomentum { get; init; } = 0.999f;

    /// <summary>Training batches the moving statistics are recomputed from after training (0: not recalibrated).</summary>
    public int RecalibrateBatches { get; init; } = 100;

    /// <summary>Ends each epoch after this many steps (quick runs).</summary>
    public int? StepsPerEpoch { get; init; }

    /// <summary>Seed of the weights and the shuffles.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>What a MobileNetV2 training measured: accuracies in inference mode before and after the BN recalibration, speed.</summary>
public sealed record MobileNetTrainingResult(Model Model, History History, int Steps, double TrainSeconds, double TestAccuracy, double? RecalibratedAccuracy, double RecalibrationSeconds)
{
    /// <summary>Optimizer steps per second of training (validation excluded).</summary>
    public double StepsPerSecond => Steps / TrainSeconds;
}

/// <summary>
/// The chapter's applications example: <c>tf.keras.applications.MobileNetV2(weights=None, classes=N)</c> trained from
/// scratch with <c>model(images, training=True)</c> (BatchNormalization on batch statistics, moving averages updated),
/// on Fashion-MNIST resized to S×S and repeated to three channels or on a folder of <c>CLASS/*.jpg</c> (tf_flowers' layout),
/// scaled as <c>mobilenet_v2.preprocess_input</c>. Then, past Keras, the moving statistics recomputed from training
/// batches (<see cref="Model.RecalibrateBatchNormalization(IBatchSource, int, int, int)"/>), which momentum 0.999 leaves far
/// behind the weights after a short training.
/// </summary>
public static class MobileNetTraining
{
    /// <summary>What <c>--data</c> takes: <c>fashion</c> (Debian's Fashion-MNIST), <c>fashion=FOLDER</c>, or a folder of class sub-folders of images.</summary>
    public const string DataHelp = "fashion | fashion=FOLDER (IDX files) | FOLDER of CLASS/*.jpg|png (tf_flowers' flower_photos/daisy/...: 80/20 split by a fixed seed)";

    /// <summary>The training and test images for <paramref name="spec"/> at <paramref name="size"/>×<paramref name="size"/>, fed through MobileNetV2's pipeline.</summary>
    public static (ImageBatches Train, ImageBatches Test) LoadImages(string spec, int size)
    {
        ArgumentNullException.ThrowIfNull(spec);
        bool fashion = spec == "fashion" || spec.StartsWith("fashion=", StringComparison.Ordinal);
        return LoadImages(spec, ImagePipeline.MobileNet(size, fashion ? ColorMode.GreyAsRgb : ColorMode.Rgb));
    }

    /// <summary>The training and test images for <paramref name="spec"/> fed through <paramref name="pipeline"/> (a saved model's, for its export).</summary>
    public static (ImageBatches Train, ImageBatches Test) LoadImages(string spec, ImagePipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(pipeline);
        if (spec == "fashion" || spec.StartsWith("fashion=", StringComparison.Ordinal))
        {
            var split = Datasets.LoadFashionMnist(spec.Length > 8 ? spec[8..] : null);
            return (new ImageBatches(split.Train, pipeline), new ImageBatches(split.Test, pipeline));
        }

        if (Directory.Exists(spec))
        {
            var split = ImageFolder.LoadSplit(spec, pipeline);
            return (new ImageBatches(split.Train, pipeline), new ImageBatches(split.Test, pipeline));
        }

        throw new DatasetException($"--data '{spec}': not 'fashion' nor an existing folder; use {DataHelp}");
    }

    /// <summary>
    /// Builds MobileNetV2 for the data's classes, trains it with Adam and sparse categorical cross-entropy (Fit: shuffled
    /// epochs, training=true), measures the test accuracy in inference mode, recalibrates the BN statistics and measures again.
    /// The model's metadata records the input pipeline, so <c>edgenet-train export</c> and the board feed it the same way.
    /// </summary>
    public static MobileNetTrainingResult Train(ImageBatches train, ImageBatches test, MobileNetTrainingOptions options, IEnumerable<Callback>? callbacks = null, int verbose = 1)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        KerasBackend.SetRandomSeed(options.Seed);
        var p = train.Pipeline;
        var model = Applications.MobileNetV2([p.Height, p.Width, p.Channels], options.Alpha, classes: train.Dataset.ClassNames.Count, bnMomentum: options.BnMomentum);
        foreach (var (k, v) in p.Metadata())
        {
            model.Metadata[k] = v;
        }

        model.Metadata[Formats.Contract.MetadataKeys.ClassNames.Name] = Formats.Enb.EnbValue.Strings([.. train.Dataset.ClassNames]);
        model.Metadata[Formats.Contract.MetadataKeys.Dataset.Name] = Formats.Enb.EnbValue.String(train.Dataset.Name.Split('/')[0]);
        model.Compile(new Adam(options.LearningRate), new SparseCategoricalCrossentropy(), new SparseCategoricalAccuracy());
        var timer = new StepTimer();
        var history = model.Fit(train, options.Epochs, options.BatchSize, test, shuffle: true, [timer, .. callbacks ?? []], verbose, options.StepsPerEpoch);
        // The last epoch's validation is the test set in inference mode already: measured once, not again.
        double accuracy = history.Epochs > 0 ? history["val_sparse_categorical_accuracy"][^1] : ChapterLoop.Accuracy(model, test);
        double? recalibrated = null;
        double recalSeconds = 0;
        if (options.RecalibrateBatches > 0)
        {
            var sw = Stopwatch.StartNew();
            model.RecalibrateBatchNormalization(train, options.RecalibrateBatches, options.BatchSize, options.Seed);
            recalSeconds = sw.Elapsed.TotalSeconds;
            recalibrated = ChapterLoop.Accuracy(model, test);
        }

        return new MobileNetTrainingResult(model, history, timer.Steps, timer.Seconds, accuracy, recalibrated, recalSeconds);
    }

    /// <summary>Training time per epoch from its first batch to its last (validation excluded).</summary>
    private sealed class StepTimer : Callback
    {
        private long _start;

        public int Steps { get; private set; }

        public double Seconds { get; private set; }

        public override void OnEpochBegin(int epoch) => _start = Stopwatch.GetTimestamp();

        public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
        {
            Steps++;
            Seconds += Stopwatch.GetElapsedTime(_start).TotalSeconds;
            _start = Stopwatch.GetTimestamp();
        }
    }
}
