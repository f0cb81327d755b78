using EdgeNet.Trainer.Cli;

namespace EdgeNet.Trainer.Tests;

[TestClass]
public sealed class PlotCommandTests
{
    [TestMethod]
    public void Rig_log_runs_of_greedy_episodes_become_one_evaluation_each()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rig-log-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllLines(path,
            [
                "episode,kind,ticks,return,mean_last_100,reason,loss,gradient_steps,jitter_p99_ms,work_p99_ms,overruns",
                "1,greedy,100,100,0.0,\"angle limit: theta 12.1° beyond ±12°\",NaN,0,0,0,0",
                "2,greedy,300,200,0.0,\"angle limit, twice\",NaN,0,0,0,0",
                "3,train,350,50,50.0,\"travel limit\",1.5,10,0,0.6,0",
                "4,train,420,70,60.0,\"angle limit\",1.2,40,0,0.6,0",
                "5,greedy,920,500,60.0,\"truncated\",1.2,40,0,0.6,0",
                "6,greedy,1420,400,60.0,\"truncated\",1.2,40,0,0.6,0",
            ]);
            var c = PlotCommand.Read(path);
            CollectionAssert.AreEqual(new double[] { 350, 420 }, c.X);
            CollectionAssert.AreEqual(new double[] { 50, 70 }, c.Returns);
            CollectionAssert.AreEqual(new double[] { 50, 60 }, c.Means);
            CollectionAssert.AreEqual(new double[] { 300, 1420 }, c.EvalX, "an evaluation sits at its last episode's tick");
            CollectionAssert.AreEqual(new double[] { 150, 450 }, c.EvalMeans);
            StringAssert.Contains(c.XLabel, "rig ticks");

            File.AppendAllLines(path, ["7,train,1500,abc,60.0,\"x\",1,1,0,0,0"]);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => PlotCommand.Read(path));
            StringAssert.Contains(e.Message, "line 8, column 'return': 'abc' is not a number");
            File.WriteAllLines(path, ["episode,steps,return"]);
            e = Assert.ThrowsExactly<InvalidDataException>(() => PlotCommand.Read(path));
            StringAssert.Contains(e.Message, "no column 'ticks' or 'env_steps'");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
