"use client";

import { createContext, useContext, type ReactNode } from "react";
import type { TRole } from "@valuelens/validators";

export interface CurrentWorkspace {
  id: string;
  slug: string;
  name: string;
  role: TRole;
  currency: string;
}

const Ctx = createContext<CurrentWorkspace | null>(null);

export function WorkspaceProvider({ value, children }: { value: CurrentWorkspace; children: ReactNode }) {
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useWorkspace(): CurrentWorkspace {
  const ws = useContext(Ctx);
  if (!ws) throw new Error("useWorkspace must be used inside a workspace page");
  return ws;
}
