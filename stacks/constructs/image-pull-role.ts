import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { type Arns, policyDocument, serviceTrustPolicy } from "../iam";

/** ECR's repository names: lowercase path components, 2-256 characters. */
const REPOSITORY_NAME = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** IAM's role names. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

export interface ImagePullRoleProps {
  /** ARNs of this (dev or prod) account, where the tasks run. */
  readonly arns: Arns;
  /** Name of the role: `<project>-image-pull`, or `<project>-preview-image-pull` for the pull requests' previews. */
  readonly roleName: string;
  /** ARNs of the build account, whose ECR registry holds the repositories. */
  readonly registry: Arns;
  /**
   * The ECR repositories the tasks pull from, by name: main's (`<project>/<service>`)
   * or the pull requests' (`<project>-pr/<service>`). Their repository
   * policies must name this role too: cross-account pulls need both sides.
   */
  readonly repositories: readonly string[];
  /**
   * The log groups the tasks write to through the awslogs driver, one per
   * stack: names (`/ecs/<project>-<service>-dev`) or, for previews, patterns
   * (`/ecs/<project>-<service>-pr-*`).
   */
  readonly logGroups: readonly string[];
}

/**
 * The role ECS tasks pull their images and write their logs as (the task
 * execution role of every container service's stack in one account and
 * zone). It can read exactly the given repositories of the build account, so
 * a task in dev or prod runs only images pipewright's builds pushed, and a
 * preview's role never reads main's repositories.
 */
export class ImagePullRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: ImagePullRoleProps) {
    super(scope, id);
    const { arns, registry } = props;
    if (!ROLE_NAME.test(props.roleName)) {
      throw new Error(`ImagePullRole ${id}: roleName "${props.roleName}" must be 1-64 characters of letters, digits and "+=,.@_-"`);
    }
    if (props.repositories.length === 0) {
      throw new Error(
        `ImagePullRole ${id}: repositories is empty; pass the ECR repositories of the container services whose tasks pull as this role`,
      );
    }
    const badRepository = props.repositories.find((name) => !REPOSITORY_NAME.test(name));
    if (badRepository !== undefined) {
      throw new Error(
        `ImagePullRole ${id}: repositories has "${badRepository}", which is not an ECR repository name; give names such as "project/service", not ARNs`,
      );
    }
    if (props.logGroups.length === 0 || props.logGroups.some((name) => !name.startsWith("/"))) {
      throw new Error(`ImagePullRole ${id}: logGroups must list the tasks' log groups, each a name or pattern such as "/ecs/<stack>"`);
    }

    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: "ECS task execution role of pipewright's container services: pulls their images from the build account and writes their logs",
      // Only ECS tasks of this account: another account's task definition cannot name the role.
      assumeRolePolicy: serviceTrustPolicy("ecs-tasks.amazonaws.com", arns.accountId),
    });
    new IamRolePolicy(this, "permissions", {
      role: this.role.name,
      name: "pull-images",
      policy: policyDocument([
        // The registry's login token; which images it reaches is decided per repository below.
        { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        {
          Sid: "PullImages",
          Effect: "Allow",
          Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          Resource: props.repositories.map((name) => registry.regional("ecr", `repository/${name}`)),
        },
        {
          Sid: "WriteLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: props.logGroups.flatMap((name) => [arns.logGroup(name), `${arns.logGroup(name)}:log-stream:*`]),
        },
      ]),
    });
  }
}
