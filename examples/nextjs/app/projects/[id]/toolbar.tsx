"use client";
// UI hints only: these buttons are shown or hidden from server-computed
// decisions; the API routes authorize every action again.
import { Can } from "portcullis/react";

export function Toolbar({ projectId }: { projectId: string }) {
  const resource = { kind: "project", id: projectId };
  return (
    <div id="toolbar">
      <Can action="edit" resource={resource}>
        <button type="button">Edit</button>
      </Can>
      <Can action="delete" resource={resource}>
        <button type="button">Delete</button>
      </Can>
      <Can action="transfer" resource={resource} fallback={<span>Transfer unavailable</span>}>
        <button type="button">Transfer</button>
      </Can>
    </div>
  );
}
