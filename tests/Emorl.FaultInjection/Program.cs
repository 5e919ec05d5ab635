using System;
using System.Globalization;
using System.IO;
using Emorl.FaultInjection;

// Runs one fault-injection scenario until it ends or the test kills it with SIGKILL. Every line it
// prints is flushed at once, so the test knows which saves had finished before the kill.
if (args.Length < 2)
{
    Console.Error.WriteLine(Scenarios.Usage);
    return 2;
}

TorchSharp.torch.set_num_threads(1);
try
{
    switch (args[0])
    {
        case "save-model":
            Scenarios.SaveModelForever(args[1]);
            return 0;
        case "save-checkpoint":
            Scenarios.SaveCheckpointForever(args[1]);
            return 0;
        case "save-vocabulary":
            Scenarios.SaveVocabularyForever(args[1]);
            return 0;
        case "train" when args.Length == 4:
            Scenarios.Train(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3]);
            return 0;
        default:
            Console.Error.WriteLine($"Unknown scenario '{args[0]}' or wrong argument count.\n{Scenarios.Usage}");
            return 2;
    }
}
catch (Exception error) when (error is IOException or InvalidDataException or ArgumentException)
{
    Console.Error.WriteLine($"Failed: {error.Message}");
    return 1;
}
