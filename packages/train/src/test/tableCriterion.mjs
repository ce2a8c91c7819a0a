// A criterion class the core does not know: data-parallel workers import this
// file (TrainOptions.imports) so that it is registered in their registry too.
import { ClassNLLCriterion, Criterion, registerCriterion, tf } from '@captcha-nn/core';

/** Mean ClassNLL over a table of [N,C] log-probabilities against a table of [N] targets. */
export class TestTableNLLCriterion extends Criterion {
  typeName = 'TestTableNLLCriterion';
  nll = new ClassNLLCriterion();
  loss(input, target) {
    return tf.div(tf.addN(input.map((x, i) => this.nll.lossTensor(x, target[i]))), input.length);
  }
}
registerCriterion('TestTableNLLCriterion', TestTableNLLCriterion);
