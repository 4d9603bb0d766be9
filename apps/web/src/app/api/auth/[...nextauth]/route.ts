import { authHandlers } from "~/auth";

export const GET = authHandlers.GET;
export const POST = authHandlers.POST;
