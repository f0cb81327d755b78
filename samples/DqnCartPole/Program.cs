// The chapter's DQN on CartPole-v1 with the rl-baselines3-zoo hyperparameters (DqnOptions' defaults:
// 50,000 steps, MLP 256-256, Adam 2.3e-3, replay 100,000, target network, ε 1 → 0.04): ε-greedy
// acting, experience replay, Huber TD loss; then the greedy policy over 100 episodes, and the
// Q-network exported as an int8 blob the edge runtime balances the pole with (edgenet rollout).
// dotnet run [-- STEPS]   (default 50,000: about 25 s on one core)
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Rl;

int steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 50_000;
var options = new DqnOptions { TotalSteps = steps, Seed = 1, StopWhenSolved = true };
var trainer = new DqnTrainer(options);
var result = trainer.Train(new Printer());
Console.WriteLine(result.Solved ? $"solved at step {result.SolvedAtStep} (mean return {result.SolvedMeanReturn:F1})"
    : result.Evaluations.Count == 0 ? $"not solved in {steps} steps (no evaluation yet: one every {options.EvalEvery} steps)"
    : $"not solved in {steps} steps; best evaluation {result.BestEvalMean:F1} at step {result.BestEvalStep}");
Console.WriteLine($"greedy mean return over 100 episodes: {trainer.Evaluate(episodes: 100, seed: 1000):F1}");
var report = DqnExport.Export(trainer.Agent, "q-int8.enb", QuantizationScheme.Int8, trainer.Environment);
Console.WriteLine($"exported {report.Path} ({report.Bytes} bytes)");

internal sealed class Printer : IDqnReporter
{
    public void OnEpisode(EpisodeRecord episode)
    {
        if (episode.Episode % 20 == 0)
        {
            Console.WriteLine($"episode {episode.Episode}: return {episode.Return}, ε {episode.Epsilon:F2}, mean of last 100 {episode.MeanReturn100:F1}");
        }
    }

    public void OnEvaluation(EvalRecord evaluation) =>
        Console.WriteLine($"step {evaluation.EnvSteps}: greedy mean return {evaluation.MeanReturn:F1} over {evaluation.Episodes} episodes");
}
