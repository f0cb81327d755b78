using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Keras.Initializers;

/// <summary>Produces a variable's initial values (tf.keras.initializers).</summary>
public abstract class Initializer
{
    /// <summary>Initial values for a variable of <paramref name="shape"/>.</summary>
    public abstract float[] Generate(Shape shape, Random rng);

    /// <summary>Every value 0.</summary>
    public static Initializer Zeros { get; } = new ConstantInitializer(0f);

    /// <summary>Every value 1.</summary>
    public static Initializer Ones { get; } = new ConstantInitializer(1f);

    /// <summary>Every value <paramref name="value"/>.</summary>
    public static Initializer Constant(float value) => new ConstantInitializer(value);

    /// <summary>Exactly these values (tf.constant_initializer(array)).</summary>
    public static Initializer Constant(float[] values) => new ArrayInitializer(values);

    /// <summary>Uniform in ±√(6 / (fan_in + fan_out)) (Keras' default kernel initializer).</summary>
    public static Initializer GlorotUniform { get; } = new GlorotUniformInitializer();

    /// <summary>A random orthogonal matrix (Keras' default recurrent kernel initializer).</summary>
    public static Initializer Orthogonal { get; } = new OrthogonalInitializer();

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Initializer RandomUniform(float min = -0.05f, float max = 0.05f) => new RandomUniformInitializer(min, max);

    /// <summary>(fan_in, fan_out) as Keras computes them: dense [in, out]; conv [kh, kw, in, out] → receptive field × channels.</summary>
    public static (int FanIn, int FanOut) Fans(Shape shape)
    {
        if (shape.Rank < 1)
        {
            return (1, 1);
        }

        if (shape.Rank == 1)
        {
            return (shape[0], shape[0]);
        }

        int receptive = 1;
        for (int i = 0; i < shape.Rank - 2; i++)
        {
            receptive *= shape[i];
        }

        return (shape[-2] * receptive, shape[-1] * receptive);
    }

    private sealed class ConstantInitializer(float value) : Initializer
    {
        public override float[] Generate(Shape shape, Random rng) => Enumerable.Repeat(value, shape.Size).ToArray();
    }

    private sealed class ArrayInitializer(float[] values) : Initializer
    {
        public override float[] Generate(Shape shape, Random rng) =>
            values.Length == shape.Size
                ? (float[])values.Clone()
                : throw new ArgumentException($"constant initializer has {values.Length} values but the variable {shape} needs {shape.Size}");
    }

    private sealed class RandomUniformInitializer(float min, float max) : Initializer
    {
        public override float[] Generate(Shape shape, Random rng) =>
            Enumerable.Range(0, shape.Size).Select(_ => min + ((max - min) * (float)rng.NextDouble())).ToArray();
    }

    private sealed class GlorotUniformInitializer : Initializer
    {
        public override float[] Generate(Shape shape, Random rng)
        {
            var (fanIn, fanOut) = Fans(shape);
            float limit = MathF.Sqrt(6f / (fanIn + fanOut));
            return Enumerable.Range(0, shape.Size).Select(_ => ((float)rng.NextDouble() * 2 - 1) * limit).ToArray();
        }
    }

    /// <summary>A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (Keras' recurrent default).</summary>
    private sealed class OrthogonalInitializer : Initializer
    {
        public override float[] Generate(Shape shape, Random rng)
        {
            int rows = shape.Size / shape.Last, cols = shape.Last;
            bool flip = rows < cols;
            int n = flip ? cols : rows, m = flip ? rows : cols;
            // Gram-Schmidt on m Gaussian columns of length n.
            var q = new double[m][];
            for (int j = 0; j < m; j++)
            {
                var v = new double[n];
                for (int i = 0; i < n; i++)
                {
                    v[i] = Gaussian(rng);
                }

                for (int k = 0; k < j; k++)
                {
                    double dot = 0;
                    for (int i = 0; i < n; i++)
                    {
                        dot += v[i] * q[k][i];
                    }

                    for (int i = 0; i < n; i++)
                    {
                        v[i] -= dot * q[k][i];
                    }
                }

                double norm = Math.Sqrt(v.Sum(x => x * x));
                for (int i = 0; i < n; i++)
                {
                    v[i] /= norm;
                }

                q[j] = v;
            }

            var result = new float[rows * cols];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    result[(r * cols) + c] = (float)(flip ? q[r][c] : q[c][r]);
                }
            }

            return result;
        }

        private static double Gaussian(Random rng)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
    }
}
