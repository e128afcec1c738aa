import { Testing } from "cdktf";
// Types of the matchers setupJest registers (toHaveResourceWithProperties, ...).
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();
