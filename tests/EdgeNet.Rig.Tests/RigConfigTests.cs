using EdgeNet.Rig.Config;

namespace EdgeNet.Rig.Tests;

[TestClass]
public sealed class RigConfigTests
{
    [TestMethod]
    public void Default_configuration_round_trips_through_json()
    {
        var config = RigConfig.Default();
        config.PoleEncoder.Decoding = EncoderDecoding.X2;
        config.PoleEncoder.CountsPerRevolution = 1200;
        string json = config.ToJson();
        StringAssert.Contains(json, "\"counts_per_revolution\": 1200");
        StringAssert.Contains(json, "\"decoding\": \"x2\"");
        var back = RigConfig.Parse(json);
        Assert.AreEqual(json, back.ToJson());
        Assert.AreEqual(0.02, back.Period, 1e-15);
    }

    [TestMethod]
    [DataRow("{\"motor\": {\"pwm_chanel\": 1}}", "motor.pwm_chanel")]
    [DataRow("{\"cart_encoder\": {\"pin_a\": 17}}", "'cart_encoder.pin_a' uses GPIO 17, as 'pole_encoder.pin_a' does")]
    [DataRow("{\"rail_length\": 4.0}", "'rail_length' is 4 m, not more than twice x_limit (4.8 m)")]
    [DataRow("{\"pole_encoder\": {\"decoding\": \"evdev\", \"counts_per_revolution\": 2400}}", "'pole_encoder.evdev_device' is empty")]
    [DataRow("{\"motor\": {\"push_duty\": 1.5}}", "'motor.push_duty' is 1.5")]
    [DataRow("{\"tick_hz\": \"fast\"}", "tick_hz")]
    public void Invalid_configurations_name_the_field(string json, string expected)
    {
        var ex = Assert.ThrowsExactly<RigConfigException>(() => RigConfig.Parse(json, "my-rig.json"));
        StringAssert.StartsWith(ex.Message, "my-rig.json");
        StringAssert.Contains(ex.Message, expected);
    }

    [TestMethod]
    public void A_missing_file_says_how_to_write_one()
    {
        var ex = Assert.ThrowsExactly<RigConfigException>(() => RigConfig.Load("/nonexistent/rig.json"));
        StringAssert.Contains(ex.Message, "--write-config");
    }
}
