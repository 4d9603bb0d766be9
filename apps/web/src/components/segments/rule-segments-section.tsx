/** Placeholder import point for the rule segments view (issue 5, second half); replaced by its own implementation. */
export function RuleSegmentsSection({ workspaceId }: { workspaceId: string }) {
  void workspaceId;
  return null;
}
