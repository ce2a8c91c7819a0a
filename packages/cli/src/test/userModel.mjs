// A user's own model package: importing it registers a model (captcha-nn train --import).
import { buildTinyCaptcha, registerModel } from '@captcha-nn/train';

registerModel('user-tiny', buildTinyCaptcha, 'a model registered by an imported file');
