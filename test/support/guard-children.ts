import { refuseChildrenOnDefaultPorts } from './isolation';

// Loaded before every test file (jest setupFiles): no process a test starts reaches a developer's own stack.
refuseChildrenOnDefaultPorts();
