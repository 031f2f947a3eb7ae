// Indicators of compromise on the server: the model, canonical values and the event fields each type is matched in
// come from @vigil/intel (one definition for stream matching, sweeps, imports and the API). Never redefine them here.

export { canonicalIndicatorValue, indicatorTypes, indicatorFields, type IndicatorType } from '@vigil/intel';
