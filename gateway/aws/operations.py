"""The one list of Query actions: each IAM and STS action as a GraphQL operation on the
gateway's own schema.

An entry is the action's name and the GraphQL selection that does it, written with AWS's
names: `$Name` stands for the action's request parameter `Name` (AWS's member name), and an
alias names the AWS response member a field fills (`User: createUser(…)`, `UserId: id`).
Fields whose name already equals AWS's (ignoring case) need no alias; `_:` merges a field's
members into its parent (a connection's `pageInfo`, a root field whose members are the
response's). `gateway.aws.documents` turns each entry into a complete GraphQL document
(variable types from the schema) and checks it against the schema and AWS's model when the app
is built; `gateway.aws.endpoint` runs it with the caller's GraphQL context, so authorization
(`@authorize`), audit and errors are exactly those of the GraphQL API.

`fallback` is the selection used when the parameter named first in it is absent (GetUser
without UserName is the caller's own user). `adapt` reshapes a result where the GraphQL type
holds the data in another form than AWS's (a list of ARNs for AWS's AttachedPolicy structures).

The gateway's GraphQL-only operations (sign-in, sessions, recovery codes, switchRole,
revokeRoleSessions, authorize, unlockLoginProfile, revokeSessions) have no AWS action and are
not here; neither is GetAccessKeyLastUsed by key id alone (GraphQL has it only on a user's
keys).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Adapt = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Action:
    """A Query action and the GraphQL selection that performs it."""

    service: str
    name: str
    kind: str
    """`query` or `mutation`."""
    selection: str
    fallback: str | None = None
    adapt: Adapt | None = None


FRAGMENTS = """
fragment User on User { path userName UserId: id arn createDate passwordLastUsed
  permissionsBoundary { permissionsBoundaryType permissionsBoundaryArn } }
fragment Group on Group { path groupName GroupId: id arn createDate }
fragment Role on Role { path roleName RoleId: id arn createDate description maxSessionDuration
  AssumeRolePolicyDocument: assumeRolePolicyDocument { text }
  permissionsBoundary { permissionsBoundaryType permissionsBoundaryArn }
  roleLastUsed { lastUsedDate } }
fragment Policy on Policy { policyName PolicyId: id arn path defaultVersionId attachmentCount
  permissionsBoundaryUsageCount isAttachable description createDate updateDate }
fragment AttachedPolicy on Policy { policyName PolicyArn: arn }
fragment PolicyVersion on PolicyVersion { Document: document { text } versionId
  isDefaultVersion createDate }
fragment AccessKey on AccessKey { userName accessKeyId status createDate }
fragment MfaDevice on MfaDevice { userName serialNumber enableDate }
fragment LoginProfile on LoginProfile { userName createDate passwordResetRequired }
fragment Page on PageInfo { IsTruncated: hasNextPage Marker: endCursor }
fragment Credentials on Credentials { accessKeyId secretAccessKey sessionToken expiration }
fragment PasswordPolicy on PasswordPolicy { minimumPasswordLength requireSymbols
  requireNumbers requireUppercaseCharacters requireLowercaseCharacters
  allowUsersToChangePassword expirePasswords maxPasswordAge passwordReusePrevention
  hardExpiry }
fragment Inline on InlinePolicy { policyName PolicyDocument: document { text } }
"""
"""AWS's structures as selections of the GraphQL types that hold them."""

PAGE = "(first: $MaxItems, after: $Marker)"


def _attached(names: list[str]) -> Adapt:
    """Turn lists of policy ARNs (GraphQL's details) into AWS's AttachedPolicy structures."""

    def adapt(data: dict[str, Any]) -> dict[str, Any]:
        for list_name in names:
            for entity in data.get(list_name) or []:
                arns = entity.get("AttachedManagedPolicies") or []
                entity["AttachedManagedPolicies"] = [
                    {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in arns
                ]
        return data

    return adapt


def iam(name: str, kind: str, selection: str, **extra: Any) -> Action:
    """An IAM action."""
    return Action("iam", name, kind, selection, **extra)


def sts(name: str, kind: str, selection: str, **extra: Any) -> Action:
    """An STS action."""
    return Action("sts", name, kind, selection, **extra)


Q, M = "query", "mutation"
TAGS = "tags: $Tags"

ACTIONS: tuple[Action, ...] = (
    # -- account ----------------------------------------------------------------------------
    iam("CreateAccountAlias", M, "_: createAccountAlias(accountAlias: $AccountAlias)"),
    iam("DeleteAccountAlias", M, "_: deleteAccountAlias(accountAlias: $AccountAlias)"),
    iam("ListAccountAliases", Q, "AccountAliases: accountAliases"),
    iam(
        "UpdateAccountPasswordPolicy",
        M,
        "_: updateAccountPasswordPolicy(input: {minimumPasswordLength: $MinimumPasswordLength,"
        " requireSymbols: $RequireSymbols, requireNumbers: $RequireNumbers,"
        " requireUppercaseCharacters: $RequireUppercaseCharacters,"
        " requireLowercaseCharacters: $RequireLowercaseCharacters,"
        " allowUsersToChangePassword: $AllowUsersToChangePassword,"
        " maxPasswordAge: $MaxPasswordAge, passwordReusePrevention: $PasswordReusePrevention,"
        " hardExpiry: $HardExpiry}) { __typename }",
    ),
    iam(
        "GetAccountPasswordPolicy", Q, "PasswordPolicy: accountPasswordPolicy { ...PasswordPolicy }"
    ),
    iam("DeleteAccountPasswordPolicy", M, "_: deleteAccountPasswordPolicy"),
    iam(
        "ChangePassword",
        M,
        "_: changePassword(oldPassword: $OldPassword, newPassword: $NewPassword)",
    ),
    iam(
        "GetAccountAuthorizationDetails",
        Q,
        "_: accountAuthorizationDetails(filter: $Filter) {"
        " UserDetailList: users { path userName userId arn GroupList: groupNames"
        "  AttachedManagedPolicies: attachedPolicyArns"
        "  UserPolicyList: inlinePolicies { ...Inline } }"
        " GroupDetailList: groups { path groupName groupId arn"
        "  AttachedManagedPolicies: attachedPolicyArns"
        "  GroupPolicyList: inlinePolicies { ...Inline } }"
        " RoleDetailList: roles { path roleName roleId arn"
        "  AssumeRolePolicyDocument: assumeRolePolicyDocument { text }"
        "  AttachedManagedPolicies: attachedPolicyArns RolePolicyList: inlinePolicies { ...Inline }"
        "  tags { key value } }"
        " Policies: policies { _: policy { ...Policy }"
        "  PolicyVersionList: versions { ...PolicyVersion } } }",
        adapt=_attached(["UserDetailList", "GroupDetailList", "RoleDetailList"]),
    ),
    iam(
        "SimulatePrincipalPolicy",
        Q,
        "EvaluationResults: simulatePrincipalPolicy(policySourceArn: $PolicySourceArn,"
        " actionNames: $ActionNames, resourceArns: $ResourceArns, context: $ContextEntries) {"
        " EvalActionName: action EvalResourceName: resource EvalDecision: effect"
        " MatchedStatements: statements { SourcePolicyId: policy SourcePolicyType: layer }"
        " MissingContextValues: missingContextKeys }",
    ),
    # -- users ------------------------------------------------------------------------------
    iam(
        "CreateUser",
        M,
        "User: createUser(input: {userName: $UserName, path: $Path, tags: $Tags,"
        " permissionsBoundary: $PermissionsBoundary}) { ...User }",
    ),
    iam(
        "GetUser", Q, "User: user(userName: $UserName) { ...User }", fallback="User: me { ...User }"
    ),
    iam(
        "ListUsers",
        Q,
        f"_: users(pathPrefix: $PathPrefix, {PAGE[1:-1]}) {{ Users: nodes {{ ...User }}"
        " _: pageInfo { ...Page } }",
    ),
    iam(
        "UpdateUser",
        M,
        "_: updateUser(userName: $UserName, newUserName: $NewUserName, newPath: $NewPath)"
        " { __typename }",
    ),
    iam("DeleteUser", M, "_: deleteUser(userName: $UserName)"),
    iam("TagUser", M, f"_: tagUser(userName: $UserName, {TAGS}) {{ __typename }}"),
    iam("UntagUser", M, "_: untagUser(userName: $UserName, tagKeys: $TagKeys) { __typename }"),
    iam("ListUserTags", Q, "_: user(userName: $UserName) { Tags: tags { key value } }"),
    iam(
        "ListGroupsForUser",
        Q,
        f"_: user(userName: $UserName) {{ _: groups{PAGE} {{ Groups: nodes {{ ...Group }}"
        " _: pageInfo { ...Page } } }",
    ),
    iam(
        "PutUserPermissionsBoundary",
        M,
        "_: putUserPermissionsBoundary(userName: $UserName,"
        " permissionsBoundary: $PermissionsBoundary) { __typename }",
    ),
    iam(
        "DeleteUserPermissionsBoundary",
        M,
        "_: deleteUserPermissionsBoundary(userName: $UserName) { __typename }",
    ),
    # -- login profiles ---------------------------------------------------------------------
    iam(
        "CreateLoginProfile",
        M,
        "LoginProfile: createLoginProfile(userName: $UserName, password: $Password,"
        " passwordResetRequired: $PasswordResetRequired) { ...LoginProfile }",
    ),
    iam(
        "GetLoginProfile",
        Q,
        "_: user(userName: $UserName) { LoginProfile: loginProfile { ...LoginProfile } }",
    ),
    iam(
        "UpdateLoginProfile",
        M,
        "_: updateLoginProfile(userName: $UserName, password: $Password,"
        " passwordResetRequired: $PasswordResetRequired) { __typename }",
    ),
    iam("DeleteLoginProfile", M, "_: deleteLoginProfile(userName: $UserName)"),
    # -- access keys ------------------------------------------------------------------------
    iam(
        "CreateAccessKey",
        M,
        "AccessKey: createAccessKey(userName: $UserName) {"
        " userName accessKeyId status secretAccessKey createDate }",
    ),
    iam(
        "UpdateAccessKey",
        M,
        "_: updateAccessKey(userName: $UserName, accessKeyId: $AccessKeyId, status: $Status)"
        " { __typename }",
    ),
    iam(
        "DeleteAccessKey",
        M,
        "_: deleteAccessKey(userName: $UserName, accessKeyId: $AccessKeyId)",
    ),
    iam(
        "ListAccessKeys",
        Q,
        "AccessKeyMetadata: accessKeys(userName: $UserName) { ...AccessKey }",
    ),
    # -- MFA --------------------------------------------------------------------------------
    iam(
        "CreateVirtualMFADevice",
        M,
        "VirtualMFADevice: createVirtualMfaDevice(virtualMfaDeviceName: $VirtualMFADeviceName,"
        f" path: $Path, {TAGS}) {{ _: device {{ serialNumber }}"
        " Base32StringSeed: base32StringSeed QRCodePNG: qrCodePng }",
    ),
    iam(
        "EnableMFADevice",
        M,
        "_: enableMfaDevice(userName: $UserName, serialNumber: $SerialNumber,"
        " authenticationCode1: $AuthenticationCode1, authenticationCode2: $AuthenticationCode2)"
        " { __typename }",
    ),
    iam(
        "ResyncMFADevice",
        M,
        "_: resyncMfaDevice(userName: $UserName, serialNumber: $SerialNumber,"
        " authenticationCode1: $AuthenticationCode1, authenticationCode2: $AuthenticationCode2)"
        " { __typename }",
    ),
    iam(
        "DeactivateMFADevice",
        M,
        "_: deactivateMfaDevice(userName: $UserName, serialNumber: $SerialNumber)",
    ),
    iam("DeleteVirtualMFADevice", M, "_: deleteVirtualMfaDevice(serialNumber: $SerialNumber)"),
    iam("ListMFADevices", Q, "MFADevices: mfaDevices(userName: $UserName) { ...MfaDevice }"),
    iam(
        "ListVirtualMFADevices",
        Q,
        f"_: virtualMfaDevices(assignmentStatus: $AssignmentStatus, {PAGE[1:-1]}) {{"
        " VirtualMFADevices: nodes { serialNumber enableDate } _: pageInfo { ...Page } }",
    ),
    # -- groups -----------------------------------------------------------------------------
    iam("CreateGroup", M, "Group: createGroup(groupName: $GroupName, path: $Path) { ...Group }"),
    iam(
        "GetGroup",
        Q,
        "Group: group(groupName: $GroupName) { ...Group }"
        f" _: group(groupName: $GroupName) {{ _: users{PAGE} {{ Users: nodes {{ ...User }}"
        " _: pageInfo { ...Page } } }",
    ),
    iam(
        "ListGroups",
        Q,
        f"_: groups(pathPrefix: $PathPrefix, {PAGE[1:-1]}) {{ Groups: nodes {{ ...Group }}"
        " _: pageInfo { ...Page } }",
    ),
    iam(
        "UpdateGroup",
        M,
        "_: updateGroup(groupName: $GroupName, newGroupName: $NewGroupName, newPath: $NewPath)"
        " { __typename }",
    ),
    iam("DeleteGroup", M, "_: deleteGroup(groupName: $GroupName)"),
    iam(
        "AddUserToGroup",
        M,
        "_: addUserToGroup(groupName: $GroupName, userName: $UserName) { __typename }",
    ),
    iam(
        "RemoveUserFromGroup",
        M,
        "_: removeUserFromGroup(groupName: $GroupName, userName: $UserName) { __typename }",
    ),
    # -- managed policies -------------------------------------------------------------------
    iam(
        "CreatePolicy",
        M,
        "Policy: createPolicy(input: {policyName: $PolicyName, policyDocument: $PolicyDocument,"
        f" path: $Path, description: $Description, {TAGS}}}) {{ ...Policy }}",
    ),
    iam("GetPolicy", Q, "Policy: policy(policyArn: $PolicyArn) { ...Policy }"),
    iam("DeletePolicy", M, "_: deletePolicy(policyArn: $PolicyArn)"),
    iam(
        "ListPolicies",
        Q,
        "_: policies(scope: $Scope, onlyAttached: $OnlyAttached, pathPrefix: $PathPrefix,"
        f" {PAGE[1:-1]}) {{ Policies: nodes {{ ...Policy }} _: pageInfo {{ ...Page }} }}",
    ),
    iam(
        "CreatePolicyVersion",
        M,
        "PolicyVersion: createPolicyVersion(policyArn: $PolicyArn,"
        " policyDocument: $PolicyDocument, setAsDefault: $SetAsDefault) { ...PolicyVersion }",
    ),
    iam(
        "GetPolicyVersion",
        Q,
        "PolicyVersion: policyVersion(policyArn: $PolicyArn, versionId: $VersionId)"
        " { ...PolicyVersion }",
    ),
    iam(
        "DeletePolicyVersion",
        M,
        "_: deletePolicyVersion(policyArn: $PolicyArn, versionId: $VersionId)",
    ),
    iam(
        "ListPolicyVersions",
        Q,
        "_: policy(policyArn: $PolicyArn) { Versions: versions { ...PolicyVersion } }",
    ),
    iam(
        "SetDefaultPolicyVersion",
        M,
        "_: setDefaultPolicyVersion(policyArn: $PolicyArn, versionId: $VersionId) { __typename }",
    ),
    iam("TagPolicy", M, f"_: tagPolicy(policyArn: $PolicyArn, {TAGS}) {{ __typename }}"),
    iam(
        "UntagPolicy",
        M,
        "_: untagPolicy(policyArn: $PolicyArn, tagKeys: $TagKeys) { __typename }",
    ),
    iam("ListPolicyTags", Q, "_: policy(policyArn: $PolicyArn) { Tags: tags { key value } }"),
    iam(
        "ListEntitiesForPolicy",
        Q,
        "_: policy(policyArn: $PolicyArn) { _: attachedTo {"
        " PolicyGroups: groups { groupName GroupId: id }"
        " PolicyUsers: users { userName UserId: id }"
        " PolicyRoles: roles { roleName RoleId: id } } }",
    ),
    # -- attachments ------------------------------------------------------------------------
    *(
        action
        for kind, field in (("User", "user"), ("Group", "group"), ("Role", "role"))
        for action in (
            iam(
                f"Attach{kind}Policy",
                M,
                f"_: attach{kind}Policy({field}Name: ${kind}Name, policyArn: $PolicyArn)"
                " { __typename }",
            ),
            iam(
                f"Detach{kind}Policy",
                M,
                f"_: detach{kind}Policy({field}Name: ${kind}Name, policyArn: $PolicyArn)"
                " { __typename }",
            ),
            iam(
                f"ListAttached{kind}Policies",
                Q,
                f"_: {field}({field}Name: ${kind}Name) {{ _: attachedPolicies{PAGE} {{"
                " AttachedPolicies: nodes { ...AttachedPolicy } _: pageInfo { ...Page } } }",
            ),
            iam(
                f"Put{kind}Policy",
                M,
                f"_: put{kind}Policy({field}Name: ${kind}Name, policyName: $PolicyName,"
                " policyDocument: $PolicyDocument) { __typename }",
            ),
            iam(
                f"Get{kind}Policy",
                Q,
                f"_: {field}({field}Name: ${kind}Name) {{ {field}Name"
                " _: inlinePolicy(policyName: $PolicyName) { ...Inline } }",
            ),
            iam(
                f"Delete{kind}Policy",
                M,
                f"_: delete{kind}Policy({field}Name: ${kind}Name, policyName: $PolicyName)",
            ),
            iam(
                f"List{kind}Policies",
                Q,
                f"_: {field}({field}Name: ${kind}Name) {{ PolicyNames: inlinePolicyNames }}",
            ),
        )
    ),
    # -- roles ------------------------------------------------------------------------------
    iam(
        "CreateRole",
        M,
        "Role: createRole(input: {roleName: $RoleName,"
        " assumeRolePolicyDocument: $AssumeRolePolicyDocument, path: $Path,"
        " description: $Description, maxSessionDuration: $MaxSessionDuration,"
        f" {TAGS}, permissionsBoundary: $PermissionsBoundary}}) {{ ...Role }}",
    ),
    iam("GetRole", Q, "Role: role(roleName: $RoleName) { ...Role }"),
    iam(
        "ListRoles",
        Q,
        f"_: roles(pathPrefix: $PathPrefix, {PAGE[1:-1]}) {{ Roles: nodes {{ ...Role }}"
        " _: pageInfo { ...Page } }",
    ),
    iam(
        "UpdateRole",
        M,
        "_: updateRole(roleName: $RoleName, description: $Description,"
        " maxSessionDuration: $MaxSessionDuration) { __typename }",
    ),
    iam(
        "UpdateAssumeRolePolicy",
        M,
        "_: updateAssumeRolePolicy(roleName: $RoleName, policyDocument: $PolicyDocument)"
        " { __typename }",
    ),
    iam("DeleteRole", M, "_: deleteRole(roleName: $RoleName)"),
    iam("TagRole", M, f"_: tagRole(roleName: $RoleName, {TAGS}) {{ __typename }}"),
    iam("UntagRole", M, "_: untagRole(roleName: $RoleName, tagKeys: $TagKeys) { __typename }"),
    iam("ListRoleTags", Q, "_: role(roleName: $RoleName) { Tags: tags { key value } }"),
    iam(
        "PutRolePermissionsBoundary",
        M,
        "_: putRolePermissionsBoundary(roleName: $RoleName,"
        " permissionsBoundary: $PermissionsBoundary) { __typename }",
    ),
    iam(
        "DeleteRolePermissionsBoundary",
        M,
        "_: deleteRolePermissionsBoundary(roleName: $RoleName) { __typename }",
    ),
    # -- STS --------------------------------------------------------------------------------
    sts("GetCallerIdentity", Q, "_: whoAmI { userId account arn }"),
    sts(
        "GetSessionToken",
        M,
        "Credentials: getSessionToken(durationSeconds: $DurationSeconds,"
        " serialNumber: $SerialNumber, tokenCode: $TokenCode) { ...Credentials }",
    ),
    sts(
        "AssumeRole",
        M,
        "_: assumeRole(roleArn: $RoleArn, roleSessionName: $RoleSessionName,"
        " durationSeconds: $DurationSeconds, policy: $Policy, policyArns: $PolicyArns,"
        " serialNumber: $SerialNumber, tokenCode: $TokenCode, sourceIdentity: $SourceIdentity)"
        " { Credentials: credentials { ...Credentials }"
        " assumedRoleUser { arn assumedRoleId } packedPolicySize sourceIdentity }",
    ),
)
