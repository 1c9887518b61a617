package dev.bluejaybridge.layering;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.apache.avro.specific.AvroGenerated;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layers of the production code, lowest first. Maven keeps a module from importing a module
 * above it; this keeps the packages inside the modules in order too, and keeps them free of cycles.
 * The demo module sees every module's classes, so the rules live here.
 */
class LayeringTest {
  /** What avro-maven-plugin generates from schemas/ (records, their builders, enums). */
  private static final DescribedPredicate<JavaClass> GENERATED =
      DescribedPredicate.describe(
          "generated from schemas/",
          c ->
              c.isAnnotatedWith(AvroGenerated.class)
                  || c.getEnclosingClass()
                      .map(e -> e.isAnnotatedWith(AvroGenerated.class))
                      .orElse(false));

  private static JavaClasses production;

  @BeforeAll
  static void importProductionClasses() {
    production =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.bluejaybridge");
  }

  @Test
  void everyLayerUsesOnlyTheLayersBelowIt() {
    ArchRule layers =
        layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            // the Avro classes generated from schemas/ (records, state): plain data, usable by all
            .layer("Schemas")
            .definedBy(GENERATED)
            .layer("Http")
            .definedBy("dev.bluejaybridge.http..")
            .layer("WireFormat")
            .definedBy("dev.bluejaybridge.registry..", "dev.bluejaybridge.serde..")
            .layer("BluejayClient")
            .definedBy("dev.bluejaybridge.bluejay..")
            .layer("Config")
            .definedBy("dev.bluejaybridge.config..")
            .layer("Ops")
            .definedBy("dev.bluejaybridge.ops..")
            .layer("Input")
            .definedBy(
                resideInAnyPackage("dev.bluejaybridge.errors..", "dev.bluejaybridge.telemetry..")
                    .and(not(GENERATED)))
            .layer("Aggregate")
            .definedBy("dev.bluejaybridge.aggregate..")
            .layer("Pipeline")
            .definedBy("dev.bluejaybridge.pipeline..")
            .layer("Delivery")
            .definedBy("dev.bluejaybridge.delivery..")
            .layer("Dlq")
            .definedBy("dev.bluejaybridge.dlq..")
            .layer("Webhook")
            .definedBy("dev.bluejaybridge.webhook..")
            .layer("App")
            .definedBy("dev.bluejaybridge.app..")
            .layer("Commands")
            .definedBy("dev.bluejaybridge.cli..")
            .layer("Testkit")
            .definedBy("dev.bluejaybridge.testkit..")
            .layer("Demo")
            .definedBy("dev.bluejaybridge.demo..")
            .whereLayer("Http")
            .mayOnlyAccessLayers("Http")
            .whereLayer("WireFormat")
            .mayOnlyAccessLayers("Http")
            .whereLayer("BluejayClient")
            .mayOnlyAccessLayers("Http")
            .whereLayer("Config")
            .mayOnlyAccessLayers("Http")
            .whereLayer("Ops")
            .mayNotAccessAnyLayer()
            .whereLayer("Input")
            .mayOnlyAccessLayers("Schemas", "Config", "Ops", "WireFormat", "Http")
            .whereLayer("Aggregate")
            .mayOnlyAccessLayers("Schemas", "Input", "Config", "Ops", "Http")
            .whereLayer("Pipeline")
            .mayOnlyAccessLayers(
                "Schemas", "Aggregate", "Input", "Config", "Ops", "WireFormat", "Http")
            .whereLayer("Delivery")
            .mayOnlyAccessLayers(
                "Schemas",
                "Pipeline",
                "Aggregate",
                "Input",
                "Config",
                "Ops",
                "BluejayClient",
                "Http")
            .whereLayer("Dlq")
            .mayOnlyAccessLayers(
                "Schemas", "Delivery", "Input", "Config", "Ops", "BluejayClient", "Http")
            .whereLayer("Webhook")
            .mayOnlyAccessLayers("Config", "Ops", "Http")
            .whereLayer("App")
            .mayOnlyAccessLayers(
                "Schemas",
                "Webhook",
                "Dlq",
                "Delivery",
                "Pipeline",
                "Aggregate",
                "Input",
                "Config",
                "Ops",
                "BluejayClient",
                "WireFormat",
                "Http")
            // the commands: everything of the runtime, but never the testkit or the demo
            .whereLayer("Commands")
            .mayOnlyAccessLayers(
                "Schemas",
                "App",
                "Webhook",
                "Dlq",
                "Delivery",
                "Pipeline",
                "Aggregate",
                "Input",
                "Config",
                "Ops",
                "BluejayClient",
                "WireFormat",
                "Http")
            .whereLayer("Testkit")
            .mayOnlyAccessLayers("Schemas")
            .whereLayer("Demo")
            .mayNotBeAccessedByAnyLayer();
    layers.check(production);
  }

  @Test
  void noPackageDependsOnItselfThroughOthers() {
    slices()
        .matching("dev.bluejaybridge.(**)")
        .should()
        .beFreeOfCycles()
        .because("a cycle between packages means two packages that are really one, or a layer")
        .check(production);
  }
}
