import { Testing } from "cdktf";
// Types of the matchers setupJest registers (toHaveResourceWithProperties, ...).
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();

// The SDK's notice that its 2027 releases need Node.js 22 would repeat in every suite; the README says it once.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
