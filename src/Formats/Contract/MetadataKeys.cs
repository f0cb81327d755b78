using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Contract;

/// <summary>One metadata key of the contract: its name, its value type and what it means.</summary>
public sealed class MetadataKey(string name, EnbValueType type, string meaning)
{
    /// <summary>The key as stored, e.g. <c>input.normalization</c>.</summary>
    public string Name { get; } = name;

    /// <summary>The value type the contract requires.</summary>
    public EnbValueType Type { get; } = type;

    /// <summary>What the key means (the docs/format.md table's text).</summary>
    public string Meaning { get; } = meaning;

    /// <summary>The key's name.</summary>
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

    /// <summary><c>general.architecture</c> (string): <c>mlp</c>, <c>cnn</c>, <c>lstm</c>, <c>dqn</c>, <c>keras</c> (a checkpoint), ...</summary>
    public static readonly MetadataKey Architecture = Key("general.architecture", EnbValueType.String, "`mlp`, `cnn`, `lstm`, `dqn`, `keras` (a checkpoint), ...");

    /// <summary><c>general.name</c> (string): a human name</summary>
    public static readonly MetadataKey Name = Key("general.name", EnbValueType.String, "a human name");

    /// <summary><c>general.created_by</c> (string): the writer, e.g. <c>EdgeNet.Trainer export</c></summary>
    public static readonly MetadataKey CreatedBy = Key("general.created_by", EnbValueType.String, "the writer, e.g. `EdgeNet.Trainer export`");

    /// <summary><c>general.input_shape</c> (i32 array): shape of one sample (NHWC without N)</summary>
    public static readonly MetadataKey InputShape = Array("general.input_shape", EnbValueType.I32, "shape of one sample (NHWC without N)");

    /// <summary><c>general.class_names</c> (string array): label names by class index</summary>
    public static readonly MetadataKey ClassNames = Array("general.class_names", EnbValueType.String, "label names by class index");

    /// <summary><c>input.normalization</c> (f32 array): <c>[scale, offset]</c> applied as <c>x*scale+offset</c> to raw 0..255 pixels</summary>
    public static readonly MetadataKey InputNormalization = Array("input.normalization", EnbValueType.F32, "`[scale, offset]` applied as `x*scale+offset` to raw 0..255 pixels, or per channel `[scale_0..scale_C-1, offset_0..offset_C-1]`");

    /// <summary>How the input's channels come from an image.</summary>
    public static readonly MetadataKey InputColor = Key("input.color", EnbValueType.String, "`grey`, `rgb` or `grey_as_rgb` (grey repeated to three channels); absent: grey for one channel, rgb for three");

    /// <summary>How an image is brought to the input's size.</summary>
    public static readonly MetadataKey InputResize = Key("input.resize", EnbValueType.String, "`area` (box mean, the digits) or `bilinear` (centred crop to the input's aspect, then bilinear with half-pixel centres); absent: area");

    /// <summary><c>text.vocabulary</c> (string): character models: the vocabulary, one character per class index</summary>
    public static readonly MetadataKey TextVocabulary = Key("text.vocabulary", EnbValueType.String, "character models: the vocabulary, one character per class index");

    /// <summary><c>training.dataset</c> (string): dataset name</summary>
    public static readonly MetadataKey Dataset = Key("training.dataset", EnbValueType.String, "dataset name");

    /// <summary><c>training.accuracy</c> (f32): float model accuracy on the test split</summary>
    public static readonly MetadataKey Accuracy = Key("training.accuracy", EnbValueType.F32, "float model accuracy on the test split");

    /// <summary><c>training.loss</c> (string): checkpoints: the compiled loss's Keras name</summary>
    public static readonly MetadataKey Loss = Key("training.loss", EnbValueType.String, "checkpoints: the compiled loss's Keras name");

    /// <summary><c>training.final_loss</c> (f32): the training loss at the last step (e.g. the char-LSTM's cross-entropy)</summary>
    public static readonly MetadataKey FinalLoss = Key("training.final_loss", EnbValueType.F32, "the training loss at the last step (e.g. the char-LSTM's cross-entropy)");

    /// <summary><c>training.env_steps</c> (i64): RL: environment steps of the training run</summary>
    public static readonly MetadataKey EnvSteps = Key("training.env_steps", EnbValueType.I64, "RL: environment steps of the training run");

    /// <summary><c>training.solved_at</c> (i64): RL: env steps at which the greedy evaluation first reached the threshold (−1: never)</summary>
    public static readonly MetadataKey SolvedAt = Key("training.solved_at", EnbValueType.I64, "RL: env steps at which the greedy evaluation first reached the threshold (−1: never)");

    /// <summary><c>training.greedy_return</c> (f32): RL: greedy mean return of the kept weights</summary>
    public static readonly MetadataKey GreedyReturn = Key("training.greedy_return", EnbValueType.F32, "RL: greedy mean return of the kept weights");

    /// <summary><c>training.best_step</c> (i64): RL: env step of the evaluation whose weights were kept</summary>
    public static readonly MetadataKey BestStep = Key("training.best_step", EnbValueType.I64, "RL: env step of the evaluation whose weights were kept");

    /// <summary><c>finetune.base</c> (string): fine-tuned on the board from this blob: its file name and the xxHash3 of its bytes</summary>
    public static readonly MetadataKey FineTuneBase = Key("finetune.base", EnbValueType.String, "fine-tuned on the board from this blob: its file name and the xxHash3 of its bytes");

    /// <summary><c>finetune.steps</c> (i64): optimizer steps of the fine-tune on the board</summary>
    public static readonly MetadataKey FineTuneSteps = Key("finetune.steps", EnbValueType.I64, "optimizer steps of the fine-tune on the board");

    /// <summary><c>finetune.data</c> (string): what the board trained on</summary>
    public static readonly MetadataKey FineTuneData = Key("finetune.data", EnbValueType.String, "what the board trained on");

    /// <summary><c>finetune.loss</c> (f32): mean loss of the fine-tune's last step</summary>
    public static readonly MetadataKey FineTuneLoss = Key("finetune.loss", EnbValueType.F32, "mean loss of the fine-tune's last step");

    /// <summary><c>finetune.layers</c> (string): the layers that learned, comma-separated (the others kept their bytes)</summary>
    public static readonly MetadataKey FineTuneLayers = Key("finetune.layers", EnbValueType.String, "the layers that learned, comma-separated (the others kept their bytes)");

    /// <summary><c>finetune.optimizer</c> (string): the optimizer and its learning rate, e.g. <c>adam lr=0.001</c></summary>
    public static readonly MetadataKey FineTuneOptimizer = Key("finetune.optimizer", EnbValueType.String, "the optimizer and its learning rate, e.g. `adam lr=0.001`");

    /// <summary><c>quantization.version</c> (u32): quantization scheme version (<see cref="QuantizationSchemeVersion"/>).</summary>
    public static readonly MetadataKey QuantizationVersion = Key("quantization.version", EnbValueType.U32, "quantization scheme version: 3 = TFLite's int8 spec with f32 requantization after weighted layers and in adds; 2 = f32 after weighted layers only, adds in TFLite's 64-bit fixed point (blobs written 2026-12-06); 1 = all in TFLite's fixed point (before); older blobs run with version 3's arithmetic");

    /// <summary>The quantization scheme version this EdgeNet writes: 3, f32 requantization after dense, conv2d and depthwise and in adds.</summary>
    public const uint QuantizationSchemeVersion = 3;

    /// <summary><c>quantization.scheme</c> (string): <c>f32</c>, <c>f16</c>, <c>int8</c></summary>
    public static readonly MetadataKey QuantizationScheme = Key("quantization.scheme", EnbValueType.String, "`f32`, `f16`, `int8`");

    /// <summary><c>quantization.calibration</c> (string): int8: how activation ranges were calibrated (method and sample count)</summary>
    public static readonly MetadataKey QuantizationCalibration = Key("quantization.calibration", EnbValueType.String, "int8: how activation ranges were calibrated (method and sample count)");

    /// <summary><c>quantization.accuracy</c> (f32): accuracy of the quantized model measured at export</summary>
    public static readonly MetadataKey QuantizedAccuracy = Key("quantization.accuracy", EnbValueType.F32, "accuracy of the quantized model measured at export");

    /// <summary><c>quantization.float_input_layer</c> (bool): int8 blob whose input layer computes in float: a vector input with features of very different ranges (set by the exporter from the calibration data)</summary>
    public static readonly MetadataKey FloatInputLayer = Key("quantization.float_input_layer", EnbValueType.Bool, "int8 blob whose input layer computes in float: a vector input with features of very different ranges (set by the exporter from the calibration data)");

    /// <summary><c>quantization.float_output_layer</c> (bool): int8 blob whose output layer keeps f32 weights and float compute (Q-networks: action margins are far below int8 resolution)</summary>
    public static readonly MetadataKey FloatOutputLayer = Key("quantization.float_output_layer", EnbValueType.Bool, "int8 blob whose output layer keeps f32 weights and float compute (Q-networks: action margins are far below int8 resolution)");

    /// <summary><c>rl.algorithm</c> (string): <c>dqn</c> or <c>double_dqn</c></summary>
    public static readonly MetadataKey Algorithm = Key("rl.algorithm", EnbValueType.String, "`dqn` or `double_dqn`");

    /// <summary><c>rl.environment</c> (string): <c>CartPole-v1</c></summary>
    public static readonly MetadataKey Environment = Key("rl.environment", EnbValueType.String, "`CartPole-v1`");

    /// <summary><c>rl.env_options</c> (string): the physics trained on, in the <c>--physics</c> grammar (<c>default</c> = CartPole-v1)</summary>
    public static readonly MetadataKey EnvOptions = Key("rl.env_options", EnbValueType.String, "the physics trained on, in the `--physics` grammar (`default` = CartPole-v1)");

    /// <summary><c>rl.observation_names</c> (string array): <c>x</c>, <c>x_dot</c>, <c>theta</c>, <c>theta_dot</c></summary>
    public static readonly MetadataKey ObservationNames = Array("rl.observation_names", EnbValueType.String, "`x`, `x_dot`, `theta`, `theta_dot`");

    /// <summary><c>rl.observation_units</c> (string array): <c>m</c>, <c>m/s</c>, <c>rad</c>, <c>rad/s</c></summary>
    public static readonly MetadataKey ObservationUnits = Array("rl.observation_units", EnbValueType.String, "`m`, `m/s`, `rad`, `rad/s`");

    /// <summary><c>rl.action_names</c> (string array): <c>push left</c>, <c>push right</c> (output index order)</summary>
    public static readonly MetadataKey ActionNames = Array("rl.action_names", EnbValueType.String, "`push left`, `push right` (output index order)");

    /// <summary><c>rl.gamma</c> (f32): discount factor</summary>
    public static readonly MetadataKey Gamma = Key("rl.gamma", EnbValueType.F32, "discount factor");

    /// <summary><c>rl.hyperparameters</c> (string): the DQN hyperparameters as JSON (SB3 names)</summary>
    public static readonly MetadataKey Hyperparameters = Key("rl.hyperparameters", EnbValueType.String, "the DQN hyperparameters as JSON (SB3 names)");

    /// <summary><c>keras.class</c> (string): checkpoints: the model class (<c>Sequential</c>, <c>Functional</c>, ...)</summary>
    public static readonly MetadataKey KerasClass = Key("keras.class", EnbValueType.String, "checkpoints: the model class (`Sequential`, `Functional`, ...)");

    /// <summary><c>keras.config</c> (string): checkpoints: the model's Keras config as JSON (layers and their arguments)</summary>
    public static readonly MetadataKey KerasConfig = Key("keras.config", EnbValueType.String, "checkpoints: the model's Keras config as JSON (layers and their arguments)");

    /// <summary><c>optimizer.name</c> (string): checkpoints: the optimizer's Keras name</summary>
    public static readonly MetadataKey OptimizerName = Key("optimizer.name", EnbValueType.String, "checkpoints: the optimizer's Keras name");

    /// <summary><c>optimizer.iterations</c> (i64): checkpoints: optimizer steps taken</summary>
    public static readonly MetadataKey OptimizerIterations = Key("optimizer.iterations", EnbValueType.I64, "checkpoints: optimizer steps taken");

    /// <summary><c>optimizer.learning_rate</c> (f32): checkpoints: the learning rate</summary>
    public static readonly MetadataKey OptimizerLearningRate = Key("optimizer.learning_rate", EnbValueType.F32, "checkpoints: the learning rate");

    /// <summary>Every key, in the order docs/format.md lists them.</summary>
    public static IReadOnlyList<MetadataKey> All { get; } =
    [
        Architecture, Name, CreatedBy, InputShape, ClassNames, InputNormalization, InputColor, InputResize, TextVocabulary,
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
