import ActorCritic
import Testing

@Suite("the 100-episode window")
struct EpisodeTrackerTests {
    /// The stop test uses the mean `record` returns and the summary prints `recentMean`: they must be
    /// the same number, bit for bit, or a run can stop as solved with a printed mean below target.
    @Test func theStopTestAndTheSummarySeeTheSameMean() {
        let tracker = EpisodeTracker()
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for step in 0..<350 {
            let episode = EpisodeRecord(
                globalStep: step, wallSeconds: 0, worker: 0,
                episodeReturn: 0.9 - 0.01 * Double(Int.random(in: 0...3, using: &generator)), length: 1)
            if let mean = tracker.record(episode) {
                #expect(mean.bitPattern == tracker.recentMean?.bitPattern)
                checked += 1
            }
        }
        #expect(checked == 251)
        #expect(tracker.count == 350)
    }

    @Test func beforeAFullWindowTheMeanIsOfWhatThereIs() {
        let tracker = EpisodeTracker()
        #expect(tracker.recentMean == nil)
        for (i, value) in [1.0, 2.0, 6.0].enumerated() {
            #expect(tracker.record(EpisodeRecord(globalStep: i, wallSeconds: 0, worker: 0, episodeReturn: value, length: 1)) == nil)
        }
        #expect(tracker.recentMean == 3)
        #expect(tracker.bestMean == nil)
    }
}
