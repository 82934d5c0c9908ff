"""trendsum.pipeline"""
