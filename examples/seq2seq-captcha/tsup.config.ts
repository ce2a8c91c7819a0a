export { default } from '../tsup.examples';
