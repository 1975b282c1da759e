export {
  EXAMPLE_POLICY_PATH,
  loadPolicy,
  parsePolicy,
  PolicyError,
  POLICY_VARIABLE,
  type Person,
  type Policy,
} from './policy';
