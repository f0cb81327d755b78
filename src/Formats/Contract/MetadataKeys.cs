using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Contract;

/// <summary>One metadata key of the contract: its name, its value type and what it means.</summary>
public sealed class MetadataKey(string name, EnbValueType type, string meaning)
{
    public string Name { get; } = name;

    public EnbValueType Type { get; } = type;

    public string Meaning { get; } = meaning;

    public override string ToString() => Name;

    /// <summary>The element type when <see cref="Type"/> is an array.</summary>
    public EnbValueType Element { get; init; } = EnbValueType.Array;

    /// <summary>The type as docs/format.md writes it: <c>string</c>, <c>i32 array</c>, ...</summary>
    public string TypeText => Type == EnbValueType.Array ? $"{EnbValue.TagName(Element)} array" : EnbValue.TagName(Type);

    /// <summary>Null when <paramref name="v"/> has this key's type, else the problem.</summary>
    public string? Check(EnbValue v) =>
        v.Type == Type && (Type != EnbValueType.Array || v.ElementType == Element)
            ? null
            : $"metadata '{Name}' is {v.Describe()}; the contract says {TypeText}";
}

/// <summary>
/// Every metadata key EdgeNet writes (docs/format.md, "Metadata section"), one definition each: the
/// writers set them and the readers get them by these records, never by free strings. A known key
/// with the wrong type is refused by the writer and the reader; unknown keys are kept and ignored.
/// </summary>
public static class MetadataKeys
{
    private static MetadataKey Key(string name, EnbValueType type, string meaning) => new(name, type, meaning);

    private static MetadataKey Array(string name, EnbValueType element, string meaning) => new(name, EnbValueType.Array, meaning) { Element = element };

    public static readonly MetadataKey Architecture = Key("general.architecture", EnbValueType.String, "`mlp`, `cnn`, `lstm`, `dqn`, `keras` (a checkpoint), ...");
    public static readonly MetadataKey Name = Key("general.name", EnbValueType.String, "a human name");
    public static readonly MetadataKey CreatedBy = Key("general.created_by", EnbValueType.String, "the writer, e.g. `EdgeNet.Trainer export`");
    public static readonly MetadataKey InputShape = Array("general.input_shape", EnbValueType.I32, "shape of one sample (NHWC without N)");
    public static readonly MetadataKey ClassNames = Array("general.class_names", EnbValueType.String, "label names by class index");
    public static readonly MetadataKey InputNormalization = Array("input.normalization", EnbValueType.F32, "`[scale, offset]` applied as `x*scale+offset` to raw 0..255 pixels");
    public static readonly MetadataKey TextVocabulary = Key("text.vocabulary", EnbValueType.String, "character models: the vocabulary, one character per class index");
    public static readonly MetadataKey Dataset = Key("training.dataset", EnbValueType.String, "dataset name");
    public static readonly MetadataKey Accuracy = Key("training.accuracy", EnbValueType.F32, "float model accuracy on the test split");
    public static readonly MetadataKey Loss = Key("training.loss", EnbValueType.String, "checkpoints: the compiled loss's Keras name");
    public static readonly MetadataKey FinalLoss = Key("training.final_loss", EnbValueType.F32, "the training loss at the last step (e.g. the char-LSTM's cross-entropy)");
    public static readonly MetadataKey EnvSteps = Key("training.env_steps", EnbValueType.I64, "RL: environment steps of the training run");
    public static readonly MetadataKey SolvedAt = Key("training.solved_at", EnbValueType.I64, "RL: env steps at which the greedy evaluation first reached the threshold (−1: never)");
    public static readonly MetadataKey GreedyReturn = Key("training.greedy_return", EnbValueType.F32, "RL: greedy mean return of the kept weights");
    public static readonly MetadataKey BestStep = Key("training.best_step", EnbValueType.I64, "RL: env step of the evaluation whose weights were kept");
    public static readonly MetadataKey FineTuneBase = Key("finetune.base", EnbValueType.String, "fine-tuned on the board from this blob: its file name and the xxHash3 of its bytes");
    public static readonly MetadataKey FineTuneSteps = Key("finetune.steps", EnbValueType.I64, "optimizer steps of the fine-tune on the board");
    public static readonly MetadataKey FineTuneData = Key("finetune.data", EnbValueType.String, "what the board trained on");
    public static readonly MetadataKey FineTuneLoss = Key("finetune.loss", EnbValueType.F32, "mean loss of the fine-tune's last step");
    public static readonly MetadataKey FineTuneLayers = Key("finetune.layers", EnbValueType.String, "the layers that learned, comma-separated (the others kept their bytes)");
    public static readonly MetadataKey FineTuneOptimizer = Key("finetune.optimizer", EnbValueType.String, "the optimizer and its learning rate, e.g. `adam lr=0.001`");
    public static readonly MetadataKey QuantizationVersion = Key("quantization.version", EnbValueType.U32, "quantization scheme version (1 = TFLite int8 spec)");
    public static readonly MetadataKey QuantizationScheme = Key("quantization.scheme", EnbValueType.String, "`f32`, `f16`, `int8`");
    public static readonly MetadataKey QuantizationCalibration = Key("quantization.calibration", EnbValueType.String, "int8: how activation ranges were calibrated (method and sample count)");
    public static readonly MetadataKey QuantizedAccuracy = Key("quantization.accuracy", EnbValueType.F32, "accuracy of the quantized model measured at export");
    public static readonly MetadataKey FloatInputLayer = Key("quantization.float_input_layer", EnbValueType.Bool, "int8 blob whose input layer computes in float: a vector input with features of very different ranges (set by the exporter from the calibration data)");
    public static readonly MetadataKey FloatOutputLayer = Key("quantization.float_output_layer", EnbValueType.Bool, "int8 blob whose output layer keeps f32 weights and float compute (Q-networks: action margins are far below int8 resolution)");
    public static readonly MetadataKey Algorithm = Key("rl.algorithm", EnbValueType.String, "`dqn` or `double_dqn`");
    public static readonly MetadataKey Environment = Key("rl.environment", EnbValueType.String, "`CartPole-v1`");
    public static readonly MetadataKey EnvOptions = Key("rl.env_options", EnbValueType.String, "the physics trained on, in the `--physics` grammar (`default` = CartPole-v1)");
    public static readonly MetadataKey ObservationNames = Array("rl.observation_names", EnbValueType.String, "`x`, `x_dot`, `theta`, `theta_dot`");
    public static readonly MetadataKey ObservationUnits = Array("rl.observation_units", EnbValueType.String, "`m`, `m/s`, `rad`, `rad/s`");
    public static readonly MetadataKey ActionNames = Array("rl.action_names", EnbValueType.String, "`push left`, `push right` (output index order)");
    public static readonly MetadataKey Gamma = Key("rl.gamma", EnbValueType.F32, "discount factor");
    public static readonly MetadataKey Hyperparameters = Key("rl.hyperparameters", EnbValueType.String, "the DQN hyperparameters as JSON (SB3 names)");
    public static readonly MetadataKey KerasClass = Key("keras.class", EnbValueType.String, "checkpoints: the model class (`Sequential`, `Functional`, ...)");
    public static readonly MetadataKey KerasConfig = Key("keras.config", EnbValueType.String, "checkpoints: the model's Keras config as JSON (layers and their arguments)");
    public static readonly MetadataKey OptimizerName = Key("optimizer.name", EnbValueType.String, "checkpoints: the optimizer's Keras name");
    public static readonly MetadataKey OptimizerIterations = Key("optimizer.iterations", EnbValueType.I64, "checkpoints: optimizer steps taken");
    public static readonly MetadataKey OptimizerLearningRate = Key("optimizer.learning_rate", EnbValueType.F32, "checkpoints: the learning rate");

    /// <summary>Every key, in the order docs/format.md lists them.</summary>
    public static IReadOnlyList<MetadataKey> All { get; } =
    [
        Architecture, Name, CreatedBy, InputShape, ClassNames, InputNormalization, TextVocabulary,
        Dataset, Accuracy, Loss, FinalLoss, EnvSteps, SolvedAt, GreedyReturn, BestStep,
        FineTuneBase, FineTuneSteps, FineTuneData, FineTuneLoss, FineTuneLayers, FineTuneOptimizer,
        QuantizationVersion, QuantizationScheme, QuantizationCalibration, QuantizedAccuracy, FloatInputLayer, FloatOutputLayer,
        Algorithm, Environment, EnvOptions, ObservationNames, ObservationUnits, ActionNames, Gamma, Hyperparameters,
        KerasClass, KerasConfig, OptimizerName, OptimizerIterations, OptimizerLearningRate,
    ];

    private static readonly Dictionary<string, MetadataKey> ByName = Index();

    private static Dictionary<string, MetadataKey> Index()
    {
        var d = new Dictionary<string, MetadataKey>(All.Count, StringComparer.Ordinal);
        foreach (var k in All)
        {
            d.Add(k.Name, k);
        }

        return d;
    }

    /// <summary>The contract's key named <paramref name="name"/>, or null for a key it does not know.</summary>
    public static MetadataKey? Named(string name) => ByName.GetValueOrDefault(name);
}
