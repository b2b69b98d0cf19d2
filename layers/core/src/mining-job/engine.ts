import { describeModel, fitModels, scoreCustomers, type MiningModel } from '../mining/pipeline.js';
import type { MiningEngine } from './job.js';

/** The mining core behind the job's interface: the model is plain JSON, so it travels through S3. */
export const miningEngine: MiningEngine<MiningModel> = {
  fit: (sample, options) => fitModels(sample, options),
  score: (histories, model, options) => {
    const { customers, flags } = scoreCustomers(histories, model, options);
    return { customers, flags };
  },
  describe: (model) => describeModel(model),
};
