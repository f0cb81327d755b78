// The samples share one packed feed and one build; they run one after another.
[assembly: DoNotParallelize]
