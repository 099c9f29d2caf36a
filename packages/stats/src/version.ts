/** Version of the numerical engine; bump whenever any output could change. */
export const STATS_ENGINE_VERSION = '1.0.0'

/** Short name of the method set, stored with result snapshots. */
export const STATS_METHOD = 'frequentist-wilson-newcombe-holm+bayes-beta'
