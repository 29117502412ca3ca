/**
 * DynamoDB Local on loopback only. Its command line has no host option and
 * its Jetty server listens on every interface, so a peer on the same network
 * could scan, write and delete its tables; and it answers any Host, so a web
 * page that points its own name at 127.0.0.1 (DNS rebinding) could too.
 *
 * This small Java launcher builds the same server DynamoDB Local's own main
 * builds, binds its connector to 127.0.0.1 and puts a Host check in front of
 * its handler. It is compiled once per machine (by the Java runtime's own
 * compiler, which Debian's JRE and every JDK carry) into node_modules/.cache,
 * and started from there: the first start costs about a second more.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { StarterError } from "@dynamodb-starter/kit/runtime";

export const LAUNCHER_CLASS = "LoopbackDynamoDbLocal";

export class LoopbackLauncherError extends StarterError<"LOOPBACK_LAUNCHER"> {
  override name = "LoopbackLauncherError";
  constructor(message: string) {
    super("LOOPBACK_LAUNCHER", message);
  }
}

// Jetty 12's API, as DynamoDB Local ships it. The names a request may carry as its Host are those of loopback.ts's.
const SOURCE = `import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/** DynamoDB Local listening on 127.0.0.1 only, answering only requests addressed to loopback. */
public class ${LAUNCHER_CLASS} {
  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("--compile-into")) {
      javax.tools.JavaCompiler compiler = javax.tools.ToolProvider.getSystemJavaCompiler();
      System.exit(compiler.run(null, null, null, "-proc:none", "-d", args[1], "-cp", System.getProperty("java.class.path"), args[2]));
    }
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) ((ServerConnector) connector).setHost("127.0.0.1");
    server.setHandler(new Handler.Wrapper(server.getHandler()) {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String host = request.getHeaders().get("host");
        String name = host == null ? "" : host.toLowerCase().replaceFirst(":[0-9]{1,5}$", "");
        if (name.equals("localhost") || name.equals("127.0.0.1") || name.equals("[::1]")) return super.handle(request, response, callback);
        Response.writeError(request, response, callback, 403, "this DynamoDB Local answers requests to localhost only");
        return true;
      }
    });
    proxy.start();
    proxy.join();
  }
}
`;

/** The class path of DynamoDB Local's jar and libraries, with the launcher's compiled class first. */
export function launcherClassPath(classDir: string, jar: string, libDir: string): string {
  return [classDir, jar, join(libDir, "*")].join(delimiter);
}

/**
 * The folder holding the compiled launcher for this jar, compiling it first when it is not there yet. Several
 * processes may start at once: each compiles into a folder of its own and the first to rename it into place wins.
 */
export function ensureLauncher(java: string, { jar, libDir, cacheRoot }: { jar: string; libDir: string; cacheRoot: string }): string {
  const hash = createHash("sha256").update(SOURCE).update(jar).update(java).digest("hex").slice(0, 16);
  const classDir = join(cacheRoot, hash);
  if (existsSync(join(classDir, `${LAUNCHER_CLASS}.class`))) return classDir;
  mkdirSync(cacheRoot, { recursive: true });
  const work = mkdtempSync(join(cacheRoot, `${hash}-`));
  try {
    const source = join(work, `${LAUNCHER_CLASS}.java`);
    writeFileSync(source, SOURCE);
    const out = join(work, "classes");
    mkdirSync(out);
    const compiled = spawnSync(java, ["-cp", launcherClassPath(out, jar, libDir), source, "--compile-into", out, source], { encoding: "utf8" });
    if (compiled.status !== 0 || !existsSync(join(out, `${LAUNCHER_CLASS}.class`))) {
      throw new LoopbackLauncherError(
        `could not compile the launcher that keeps DynamoDB Local on loopback with ${java}: it needs a Java 17+ that carries its compiler ` +
          `(any JDK, or Debian's default-jre-headless).\n${`${compiled.stderr ?? ""}${compiled.error?.message ?? ""}`.trim().slice(-2_000)}`,
      );
    }
    try {
      renameSync(out, classDir);
    } catch (error) {
      if (!existsSync(join(classDir, `${LAUNCHER_CLASS}.class`))) throw error; // else another process put it there first
    }
    return classDir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
