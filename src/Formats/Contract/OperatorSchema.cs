using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Contract;

/// <summary>What an operator input position holds: an activation value or a weight from the tensor table.</summary>
internal enum InputRole
{
    Value,
    Weight,
}

/// <summary>One input position of an operator.</summary>
internal sealed class OperatorInput(string name, InputRole role, bool optional, string meaning)
{
    public string Name { get; } = name;

    public InputRole Role { get; } = role;

    public bool Optional { get; } = optional;

    public string Meaning { get; } = meaning;

    /// <summary>The last input only: it may occur any number of times (a concatenation's values).</summary>
    public bool Repeated { get; init; }
}

/// <summary>The types an operator attribute can have.</summary>
internal enum AttributeType
{
    /// <summary>An i32.</summary>
    Int,

    /// <summary>An i32 array of two values, each ≥ 1 ([height, width] of a window).</summary>
    Pair,

    /// <summary>An i32 array.</summary>
    Ints,

    /// <summary>A string, one of <see cref="AttributeSpec.Choices"/>.</summary>
    Choice,

    /// <summary>A bool.</summary>
    Bool,

    /// <summary>An i32 array of four values, each ≥ 0: explicit padding [top, left, bottom, right].</summary>
    Pads,
}

/// <summary>
/// One typed operator attribute: its default (or the attribute whose value it defaults to) and the
/// check every reader applies, so a blob with a stride of 0 or an unknown padding is refused at load.
/// </summary>
internal sealed class AttributeSpec(string name, AttributeType type, string meaning)
{
    public string Name { get; } = name;

    public AttributeType Type { get; } = type;

    public string Meaning { get; } = meaning;

    /// <summary>The value when the attribute is absent; null = required (unless <see cref="DefaultFrom"/>).</summary>
    public EnbValue? Default { get; init; }

    /// <summary>When absent, the attribute takes this other attribute's value (max_pool2d's strides default to pool_size).</summary>
    public string? DefaultFrom { get; init; }

    /// <summary>May be absent with no default: informational, the tensors' shapes rule (dense's units is the kernel's last dim).</summary>
    public bool Optional { get; init; }

    /// <summary>The allowed strings of a <see cref="AttributeType.Choice"/>, in code order (the runtime's activation code is the index).</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>The least allowed value of an <see cref="AttributeType.Int"/>.</summary>
    public int Min { get; init; } = int.MinValue;

    /// <summary>The attribute as it is stored, for a writer: <c>Attr.Units.With(100)</c>.</summary>
    public KeyValuePair<string, EnbValue> With(EnbValue value) =>
        Check(value) is { } problem ? throw new ArgumentException(problem, nameof(value)) : new(Name, value);

    public KeyValuePair<string, EnbValue> With(int value) => With(EnbValue.I32(value));

    public KeyValuePair<string, EnbValue> With(int h, int w) => With(EnbValue.Ints(h, w));

    public KeyValuePair<string, EnbValue> With(int[] values) => With(EnbValue.Ints(values));

    public KeyValuePair<string, EnbValue> With(string value) => With(EnbValue.String(value));

    public KeyValuePair<string, EnbValue> With(bool value) => With(EnbValue.Bool(value));

    /// <summary>Null when <paramref name="v"/> is a valid value of this attribute, else the problem and the fix.</summary>
    public string? Check(EnbValue v)
    {
        switch (Type)
        {
            case AttributeType.Int:
                if (v.Type != EnbValueType.I32)
                {
                    return $"attribute '{Name}' is {v.Describe()}; it must be an i32";
                }

                return v.AsInt64() < Min ? $"attribute '{Name}' is {v}; it must be >= {Min}" : null;
            case AttributeType.Pair:
            case AttributeType.Ints:
            case AttributeType.Pads:
                if (v.Type != EnbValueType.Array || v.ElementType != EnbValueType.I32)
                {
                    return $"attribute '{Name}' is {v.Describe()}; it must be an i32 array";
                }

                int[] a = v.AsInt32Array();
                if (Type == AttributeType.Pads)
                {
                    return a.Length != 4 || a[0] < 0 || a[1] < 0 || a[2] < 0 || a[3] < 0
                        ? $"attribute '{Name}' is [{string.Join(", ", a)}]; it needs four values [top, left, bottom, right], each >= 0"
                        : null;
                }

                return Type == AttributeType.Pair && (a.Length != 2 || a[0] < 1 || a[1] < 1)
                    ? $"attribute '{Name}' is [{string.Join(", ", a)}]; it needs two values, each >= 1"
                    : null;
            case AttributeType.Choice:
                if (v.Type != EnbValueType.String)
                {
                    return $"attribute '{Name}' is {v.Describe()}; it must be a string";
                }

                return ChoiceIndexOf(v.AsString()) >= 0 ? null : $"attribute '{Name}' is '{v.AsString()}'; it must be {ChoicesText}";
            case AttributeType.Bool:
                return v.Type == EnbValueType.Bool ? null : $"attribute '{Name}' is {v.Describe()}; it must be a bool";
            default:
                throw new InvalidOperationException($"attribute type {Type}");
        }
    }

    /// <summary>The index of <paramref name="value"/> among <see cref="Choices"/>, or −1.</summary>
    public int ChoiceIndexOf(string value)
    {
        for (int i = 0; i < Choices.Count; i++)
        {
            if (Choices[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    private string ChoicesText => "'" + string.Join("' or '", Choices) + "'";

    /// <summary>The type as docs/format.md writes it.</summary>
    public string TypeText => Type switch
    {
        AttributeType.Int => Min == int.MinValue ? "i32" : $"i32 ≥ {Min}",
        AttributeType.Pair => "i32 [h, w], each ≥ 1",
        AttributeType.Ints => "i32 array",
        AttributeType.Choice => "`" + string.Join("` \\| `", Choices) + "`",
        AttributeType.Bool => "bool",
        AttributeType.Pads => "i32 [top, left, bottom, right], each ≥ 0",
        _ => Type.ToString(),
    };

    /// <summary>The default as docs/format.md writes it.</summary>
    public string DefaultText => DefaultFrom is { } from ? $"= `{from}`" : Default is null ? (Optional ? "optional" : "required") : Default.Type switch
    {
        EnbValueType.String => $"`{Default.AsString()}`",
        EnbValueType.Array => "[" + string.Join(", ", Default.AsInt32Array()) + "]",
        EnbValueType.Bool => Default.Value is true ? "true" : "false",
        _ => Default.ToString(),
    };
}

/// <summary>
/// One operator of the contract: its opcode and name (the name is also the trainer's trace kind),
/// its input positions and their roles, its typed attributes. Every operator has one output.
/// </summary>
internal sealed class OperatorSchema(Opcode opcode, string name, string meaning, IReadOnlyList<OperatorInput> inputs, IReadOnlyList<AttributeSpec> attributes)
{
    public Opcode Opcode { get; } = opcode;

    public string Name { get; } = name;

    public string Meaning { get; } = meaning;

    public IReadOnlyList<OperatorInput> Inputs { get; } = inputs;

    public IReadOnlyList<AttributeSpec> Attributes { get; } = attributes;

    /// <summary>The most inputs an operator of this schema takes (unbounded when its last input repeats).</summary>
    public int MaxInputs => Inputs.Count > 0 && Inputs[^1].Repeated ? int.MaxValue : Inputs.Count;

    /// <summary>The input position <paramref name="k"/> of an operator: the schema's k-th, or its repeated last one.</summary>
    public OperatorInput Input(int k) => Inputs[Math.Min(k, Inputs.Count - 1)];

    public int RequiredInputs
    {
        get
        {
            int n = 0;
            foreach (var i in Inputs)
            {
                n += i.Optional ? 0 : 1;
            }

            return n;
        }
    }

    public bool Has(AttributeSpec attribute)
    {
        foreach (var a in Attributes)
        {
            if (ReferenceEquals(a, attribute))
            {
                return true;
            }
        }

        return false;
    }

    public AttributeSpec Attribute(string name) => Find(name) ?? throw new ArgumentException($"{Name} has no attribute '{name}'", nameof(name));

    private AttributeSpec? Find(string name)
    {
        foreach (var a in Attributes)
        {
            if (a.Name == name)
            {
                return a;
            }
        }

        return null;
    }

    public override string ToString() => Name;

    /// <summary>Null when <paramref name="op"/> has this schema's inputs, one output and valid attributes; else the field and the problem.</summary>
    public (string Field, string Problem)? Check(OperatorDef op)
    {
        if (op.Inputs.Count < RequiredInputs || op.Inputs.Count > MaxInputs)
        {
            string need = MaxInputs == int.MaxValue ? $"{RequiredInputs} or more" : RequiredInputs == Inputs.Count ? $"{Inputs.Count}" : $"{RequiredInputs}..{Inputs.Count}";
            return ("inputs", $"{Name} has {op.Inputs.Count} inputs; it takes {need} ({InputsText})");
        }

        for (int k = 0; k < op.Inputs.Count; k++)
        {
            bool weight = Input(k).Role == InputRole.Weight;
            if (op.Inputs[k].IsWeight != weight)
            {
                return ($"inputs[{k}]", $"{Name} input {k} ('{Input(k).Name}') must be {(weight ? "a weight (tensor-table reference)" : "a value (graph reference)")}");
            }
        }

        if (op.Outputs.Count != 1)
        {
            return ("outputs", $"{Name} has {op.Outputs.Count} outputs; it has 1");
        }

        foreach (var (key, value) in op.Attributes)
        {
            var a = Find(key);
            if (a is null)
            {
                var names = new string[Attributes.Count];
                for (int i = 0; i < names.Length; i++)
                {
                    names[i] = Attributes[i].Name;
                }

                string known = names.Length == 0 ? "none" : string.Join(", ", names);
                return ($"attributes.{key}", $"{Name} has no attribute '{key}' (it takes {known}); the blob is from a newer or a foreign writer");
            }

            if (a.Check(value) is { } problem)
            {
                return ($"attributes.{key}", problem);
            }
        }

        foreach (var a in Attributes)
        {
            if (a.Default is null && a.DefaultFrom is null && !a.Optional && op.Attribute(a.Name) is null)
            {
                return ($"attributes.{a.Name}", $"{Name} needs attribute '{a.Name}' ({a.Meaning})");
            }
        }

        return null;
    }

    /// <summary>The attribute's value in <paramref name="attributes"/> (checked at load), its default, or the value of the attribute it defaults to.</summary>
    public EnbValue Value(IReadOnlyList<KeyValuePair<string, EnbValue>> attributes, AttributeSpec a)
    {
        foreach (var kv in attributes)
        {
            if (kv.Key == a.Name)
            {
                return kv.Value;
            }
        }

        return a.Default
            ?? (a.DefaultFrom is { } from ? Value(attributes, Attribute(from)) : throw new InvalidOperationException($"{Name} needs attribute '{a.Name}'"));
    }

    public EnbValue Value(OperatorDef op, AttributeSpec a) => Value(op.Attributes, a);

    public int Int(OperatorDef op, AttributeSpec a) => (int)Value(op, a).AsInt64();

    public int[] Ints(OperatorDef op, AttributeSpec a) => Value(op, a).AsInt32Array();

    public int[] Ints(IReadOnlyList<KeyValuePair<string, EnbValue>> attributes, AttributeSpec a) => Value(attributes, a).AsInt32Array();

    public bool Flag(OperatorDef op, AttributeSpec a) => Value(op, a).Value is true;

    /// <summary>'same' padding (the <see cref="Attr.Padding"/> attribute).</summary>
    public bool Same(IReadOnlyList<KeyValuePair<string, EnbValue>> attributes) => Value(attributes, Attr.Padding).AsString() == "same";

    /// <summary>The explicit [top, left, bottom, right] padding (the <see cref="Attr.Pads"/> attribute), or null when the operator uses its Keras <c>padding</c> rule.</summary>
    public int[]? Pads(IReadOnlyList<KeyValuePair<string, EnbValue>> attributes)
    {
        if (!Has(Attr.Pads))
        {
            return null;
        }

        foreach (var kv in attributes)
        {
            if (kv.Key == Attr.Pads.Name)
            {
                return kv.Value.AsInt32Array();
            }
        }

        return null;
    }

    /// <summary>The window of this operator over an input of <paramref name="inH"/>×<paramref name="inW"/>: explicit pads when present, else the Keras padding rule.</summary>
    public WindowGeometry Window(IReadOnlyList<KeyValuePair<string, EnbValue>> attributes, int inH, int inW, int kh, int kw, int[] strides, string what = "window") =>
        Pads(attributes) is { } p
            ? WindowGeometry.Create(inH, inW, kh, kw, strides[0], strides[1], p, what)
            : WindowGeometry.Create(inH, inW, kh, kw, strides[0], strides[1], Same(attributes), what);

    /// <summary>Null when the window of <see cref="Window"/> fits, else the problem and the fix.</summary>
    public string? WindowProblem(IReadOnlyList<KeyValuePair<string, EnbValue>> attributes, int inH, int inW, int kh, int kw, int[] strides, string what = "window") =>
        Pads(attributes) is { } p
            ? WindowGeometry.Problem(inH, inW, kh, kw, strides[0], strides[1], p, what)
            : WindowGeometry.Problem(inH, inW, kh, kw, strides[0], strides[1], Same(attributes), what);

    /// <summary>The index of the attribute's string among its choices (activation: 0 linear, 1 relu, 2 tanh, 3 sigmoid).</summary>
    public int ChoiceIndex(IReadOnlyList<KeyValuePair<string, EnbValue>> attributes, AttributeSpec a)
    {
        int i = a.ChoiceIndexOf(Value(attributes, a).AsString());
        return i >= 0 ? i : throw new InvalidOperationException($"{Name}: attribute '{a.Name}' was not checked");
    }

    public int ChoiceIndex(OperatorDef op, AttributeSpec a) => ChoiceIndex(op.Attributes, a);

    public string InputsText
    {
        get
        {
            var parts = new string[Inputs.Count];
            for (int k = 0; k < parts.Length; k++)
            {
                var i = Inputs[k];
                parts[k] = (i.Optional ? "[" : "") + i.Name + (i.Role == InputRole.Weight ? " (w)" : "") + (i.Optional ? "]" : "") + (i.Repeated ? ", …" : "");
            }

            return string.Join(", ", parts);
        }
    }
}
